// Runs graphql-http's server audits against a live GraphQL endpoint and prints one JSON
// line per audit ({id, name, status, reason?}); tests/test_graphql_http_audit.py reads them.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}
const results = await auditServer({ url });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
    line.contentType = result.response.headers.get('content-type');
  }
  console.log(JSON.stringify(line));
}
