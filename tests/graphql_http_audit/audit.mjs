// Runs graphql-http's server audits against a live GraphQL endpoint and prints one JSON
// line per audit ({id, name, status, reason?}); tests/test_graphql_http_audit.py reads them.
// Usage: ROLODEX_TOKEN=... node audit.mjs http://127.0.0.1:PORT/graphql
// The audits ask `__type(name:)`, which Rolodex answers signed-in callers only: every
// request carries the token of ROLODEX_TOKEN.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}
const token = process.env.ROLODEX_TOKEN;
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
    line.contentType = result.response.headers.get('content-type');
  }
  console.log(JSON.stringify(line));
}
