// SPDX-License-Identifier: MIT
// The nodemailer client of tests/real/clients.sh (trigger.sh nodemailer):
// sends one message to STARK_HOST:STARK_PORT with STARTTLS required
// (requireTLS), verifying the certificate against STARK_CA only, for
// STARK_SERVERNAME (SNI and the name check). Exit status 0 when the server
// accepted the message, 1 otherwise, 2 on bad usage.
// usage (env set by stark serve): node nodemailer-send.js [TIMEOUT_SECONDS]
'use strict';
const fs = require('fs');
const nodemailer = require('nodemailer');

const env = process.env;
for (const k of ['STARK_HOST', 'STARK_PORT', 'STARK_CA', 'STARK_SERVERNAME']) {
	if (!env[k]) {
		console.error(`nodemailer-send: ${k} is not set (run by stark serve)`);
		process.exit(2);
	}
}
const timeoutMs = 1000 * Number(process.argv[2] || 10);

const transport = nodemailer.createTransport({
	host: env.STARK_HOST, // loopback: stark serve listens on 127.0.0.1
	port: Number(env.STARK_PORT),
	secure: false, // plain SMTP, then STARTTLS ...
	requireTLS: true, // ... which must succeed, or nothing is sent
	ignoreTLS: false,
	name: 'client.stark.test', // the EHLO argument
	connectionTimeout: timeoutMs,
	greetingTimeout: timeoutMs,
	socketTimeout: timeoutMs,
	tls: {
		ca: [fs.readFileSync(env.STARK_CA)], // replaces Node's bundled roots
		servername: env.STARK_SERVERNAME,
		rejectUnauthorized: true,
	},
});

transport.sendMail({
	from: 'a@stark.test',
	to: 'b@stark.test',
	subject: `stark ${env.STARK_SCENARIO || ''}`,
	text: 'Test message from tests/real/clients.sh.\n',
}).then((info) => {
	console.log(`nodemailer: sent: ${info.response}`);
	process.exit(0);
}, (err) => {
	console.error(`nodemailer: ${err.code || 'error'}: ${err.message}`);
	process.exit(1);
});
