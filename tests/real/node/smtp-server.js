// SPDX-License-Identifier: MIT
// nodemailer's smtp-server as a server under test (tests/real/smtp-server.sh):
// an MX-like listener on 127.0.0.1 offering STARTTLS with stark's "good"
// certificate from CERTDIR (written by stark certs --out CERTDIR), AUTH PLAIN
// and LOGIN accepted for any name and password, also in clear
// (allowInsecureAuth: smtp-server's default answers AUTH before TLS with
// 538), AUTH optional, every message read and dropped. No DNS: the reverse
// lookup of the client is turned off. Prints "PORT <n>" once listening;
// logs each session (commands and replies) on stderr; stops on SIGTERM.
// usage: node smtp-server.js CERTDIR [PORT]   (PORT 0 or none: a free one)
'use strict';
const fs = require('fs');
const path = require('path');
const util = require('util');
const { SMTPServer } = require('smtp-server');

if (process.argv.length < 3) {
	console.error('usage: node smtp-server.js CERTDIR [PORT]');
	process.exit(2);
}
const dir = process.argv[2];
const port = Number(process.argv[3] || 0);

// smtp-server's own logger (bunyan-like): one line per event on stderr, so
// the test can show what the server saw next to stark's transcript.
const log = (level) => (...args) => {
	const msg = util.format(...args.filter((a) => typeof a !== 'object' || a === null));
	process.stderr.write(`${new Date().toISOString()} ${level} ${msg}\n`);
};
const logger = { info: log('info'), debug: log('debug'), error: log('error'), warn: log('warn') };

const server = new SMTPServer({
	name: 'localhost', // the greeting and EHLO name; stark's certificate is for it
	banner: 'smtp-server stark test instance',
	secure: false, // plain SMTP with STARTTLS (RFC 3207)
	key: fs.readFileSync(path.join(dir, 'good.key')),
	cert: fs.readFileSync(path.join(dir, 'good.pem')),
	authMethods: ['PLAIN', 'LOGIN'],
	authOptional: true, // an MX: mail without AUTH
	allowInsecureAuth: true, // see the header: AUTH in clear answered, not refused
	disableReverseLookup: true, // no DNS
	logger,
	onAuth(auth, session, callback) {
		callback(null, { user: auth.username || 'user' });
	},
	onData(stream, session, callback) {
		stream.on('data', () => {});
		stream.on('end', () => callback(null, 'Message dropped'));
	},
});
server.on('error', (err) => {
	console.error(`smtp-server: ${err.code || 'error'}: ${err.message}`);
});
server.listen(port, '127.0.0.1', () => {
	process.stdout.write(`PORT ${server.server.address().port}\n`);
});
process.on('SIGTERM', () => {
	server.close(() => process.exit(0));
	setTimeout(() => process.exit(0), 1000).unref();
});
