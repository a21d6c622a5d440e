// PostGraphile 5 over the bench database: `node -r ./polyfill.cjs server.mjs` with
// DATABASE_URL and PORT set (bench/peer.py starts it). Loopback only; no GraphiQL.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const preset = {
  extends: [PostGraphileAmberPreset],
  // Order by unindexed columns too (contacts by isPrimary, createdAt), as Rolodex does.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public", "peer"],
      poolConfig: { max: 8 },
    }),
  ],
  grafserv: { graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
serv.addTo(server).catch((error) => {
  console.error(error);
  process.exit(1);
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log(`postgraphile listening on ${process.env.PORT}`);
});
