/* SPDX-License-Identifier: MIT */
/*
 * mtasts_fetch: the HTTPS GET of an MTA-STS policy (RFC 8461 3.3) with
 * libcurl (Debian's GnuTLS flavour: the OpenSSL one would share a process
 * with wolfSSL's OpenSSL-compatible symbols). Owns what a sender's fetch
 * must be: https only, the certificate verified for mta-sts.<domain>
 * against --ca and/or the system store, no redirect followed, a 64 KiB body
 * limit, one deadline for the whole transfer, and the exchange recorded as
 * evidence (request, response headers, body, libcurl's connection lines).
 * Never resolves a name: curl gets the addresses the caller resolved
 * (CURLOPT_RESOLVE; CURLOPT_CONNECT_TO for another port), no proxy
 * (CURLOPT_PROXY "", CURLOPT_NOPROXY "*"). Never judges: mtasts.c does.
 */
#include "mtasts.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define LOG_MAX 4096u
#define HEADERS_MAX 16384u

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
	struct buf body, headers, request, log;
	bool too_large;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (s->body.len + len > MTASTS_POLICY_MAX) {
		s->too_large = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	buf_append(&s->body, p, len);
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (s->headers.len + len <= HEADERS_MAX)
		buf_append(&s->headers, p, len);
	return len;
}

static int on_debug(CURL *h, curl_infotype type, char *p, size_t len, void *arg)
{
	struct sink *s = arg;
	if (type == CURLINFO_HEADER_OUT && s->request.len + len <= HEADERS_MAX)
		buf_append(&s->request, p, len);
	else if (type == CURLINFO_TEXT && s->log.len + len <= LOG_MAX)
		buf_append(&s->log, p, len);
	return 0;
}

/* libcurl calls this several times a second: a raised stop flag ends the
 * transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	const volatile sig_atomic_t *stop = arg;
	return stop && *stop ? 1 : 0;
}

static char *take(struct buf *b)
{
	char *s = b->len ? xstrndup((const char *)b->data, b->len) : NULL;
	buf_free(b);
	return s;
}

/* The first line of libcurl's messages is enough for a reason. */
static char *first_line(const char *s)
{
	return xstrndup(s, strcspn(s, "\r\n"));
}

int mtasts_fetch(const char *policy_domain, const struct mtasts_fetch_opts *o,
                 struct mtasts_fetched *out)
{
	memset(out, 0, sizeof *out);
	int64_t t0 = mono_ms();
	char dom[256];
	size_t dl = strlen(policy_domain);
	if (dl > 0 && policy_domain[dl - 1] == '.')
		dl--;
	if (dl == 0 || dl >= sizeof dom - 8) {
		out->fail = MTASTS_FETCH_BAD_INPUT;
		out->error = xstrdup("not a domain name");
		return -1;
	}
	memcpy(dom, policy_domain, dl);
	dom[dl] = '\0';
	for (char *c = dom; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (!mtasts_is_domain(dom)) {
		out->fail = MTASTS_FETCH_BAD_INPUT;
		out->error = xasprintf("'%s' is not a domain name", policy_domain);
		return -1;
	}
	char *host = xasprintf("mta-sts.%s", dom);
	out->url = xasprintf("https://%s/.well-known/mta-sts.txt", host);
	if (o->addr_status == MTASTS_DNS_FAIL) {
		out->fail = MTASTS_FETCH_DNS_FAIL;
		out->error = xasprintf("the address lookup of %s failed: %s", host,
		                       o->addr_error ? o->addr_error : "no answer");
		free(host);
		return -1;
	}
	if (o->addr_status == MTASTS_DNS_NONE || o->naddrs == 0) {
		out->fail = MTASTS_FETCH_DNS_NONE;
		out->error = xasprintf("%s has no address (no A or AAAA record)", host);
		free(host);
		return -1;
	}
	unsigned port = o->port ? o->port : 443;
	struct buf resolve = {0};
	buf_appendf(&resolve, "%s:%u:", host, port);
	for (size_t i = 0; i < o->naddrs; i++) {
		unsigned char bin[16];
		bool v6 = inet_pton(AF_INET6, o->addrs[i], bin) == 1;
		if (!v6 && inet_pton(AF_INET, o->addrs[i], bin) != 1) {
			out->fail = MTASTS_FETCH_BAD_INPUT;
			out->error = xasprintf("'%s' is not an IP address", o->addrs[i]);
			buf_free(&resolve);
			free(host);
			return -1;
		}
		buf_appendf(&resolve, "%s%s%s%s", i ? "," : "", v6 ? "[" : "", o->addrs[i], v6 ? "]" : "");
	}
	pthread_once(&once, global_init);
	CURL *h = global_rc == CURLE_OK ? curl_easy_init() : NULL;
	if (h == NULL) {
		out->fail = MTASTS_FETCH_OTHER;
		out->error = xstrdup("libcurl could not be initialised");
		buf_free(&resolve);
		free(host);
		return -1;
	}
	struct curl_slist *res = curl_slist_append(NULL, buf_cstr(&resolve));
	struct curl_slist *conn_to = NULL;
	if (port != 443) {
		char *ct = xasprintf("%s:443:%s:%u", host, host, port);
		conn_to = curl_slist_append(NULL, ct);
		free(ct);
	}
	struct sink s = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : STARK_DEFAULT_TIMEOUT_MS;
	curl_easy_setopt(h, CURLOPT_URL, out->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	if (conn_to)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, conn_to);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	/* as stark's TLS config: --ca, and the system store (libcurl's CA
	 * path, /etc/ssl/certs) unless --no-system-ca; neither: nothing is
	 * trusted and every certificate fails, as asked */
	if (o->ca_file || o->no_system_ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	if (o->no_system_ca)
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "stark/" STARK_VERSION);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)MTASTS_POLICY_MAX);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &s);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (o->stop) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)o->stop);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	CURLcode rc = curl_easy_perform(h);

	long status = 0;
	char *ct = NULL, *loc = NULL, *ip = NULL;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
	curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
	out->http_status = status;
	out->content_type = ct ? xstrdup(ct) : NULL;
	out->location = loc ? xstrdup(loc) : NULL;
	out->connected = ip && ip[0];
	const char *msg = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_OK: out->fail = MTASTS_FETCH_OK; break;
	case CURLE_COULDNT_CONNECT: out->fail = MTASTS_FETCH_CONNECT; break;
	case CURLE_OPERATION_TIMEDOUT: out->fail = MTASTS_FETCH_TIMEOUT; break;
	case CURLE_PEER_FAILED_VERIFICATION: out->fail = MTASTS_FETCH_TLS_VERIFY; break;
	case CURLE_SSL_CONNECT_ERROR: out->fail = MTASTS_FETCH_TLS; break;
	case CURLE_FILESIZE_EXCEEDED: out->fail = MTASTS_FETCH_TOO_LARGE; break;
	case CURLE_ABORTED_BY_CALLBACK: out->fail = MTASTS_FETCH_INTERRUPTED; break;
	case CURLE_WRITE_ERROR:
		out->fail = s.too_large ? MTASTS_FETCH_TOO_LARGE : MTASTS_FETCH_OTHER;
		break;
	default: out->fail = MTASTS_FETCH_OTHER; break;
	}
	/* the handshake got through to verification: the peer is a TLS server */
	out->tls_ok = rc == CURLE_OK || (status > 0 && out->fail != MTASTS_FETCH_TLS_VERIFY);
	if (out->fail == MTASTS_FETCH_TLS_VERIFY)
		out->tls_error = first_line(msg);
	if (rc != CURLE_OK) {
		char *line = first_line(msg);
		out->error = out->fail == MTASTS_FETCH_TIMEOUT
		                 ? xasprintf("no complete response within %d ms (%s)", timeout, line)
		             : out->fail == MTASTS_FETCH_INTERRUPTED ? xstrdup("interrupted")
		                                                     : xstrdup(line);
		free(line);
	}
	out->request = take(&s.request);
	out->headers = take(&s.headers);
	out->log = take(&s.log);
	out->body_len = s.body.len;
	out->body = xmalloc(s.body.len + 1); /* NUL bytes kept: the parser refuses them */
	if (s.body.len)
		memcpy(out->body, s.body.data, s.body.len);
	out->body[s.body.len] = '\0';
	buf_free(&s.body);
	curl_easy_cleanup(h);
	curl_slist_free_all(res);
	curl_slist_free_all(conn_to);
	buf_free(&resolve);
	free(host);
	out->elapsed_ms = mono_ms() - t0;
	return out->fail == MTASTS_FETCH_OK ? 0 : -1;
}

void mtasts_fetched_free(struct mtasts_fetched *f)
{
	if (f == NULL)
		return;
	free(f->url);
	free(f->request);
	free(f->log);
	free(f->tls_error);
	free(f->headers);
	free(f->content_type);
	free(f->location);
	free(f->body);
	free(f->error);
	memset(f, 0, sizeof *f);
}
