import * as grpc from '@grpc/grpc-js';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findStaleGenerated, generatePackageProtos, GENERATED_HEADER } from '../src/proto-gen.js';
import { makeTree } from './fixtures.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

const GREETER_PROTO = `syntax = "proto3";
package demo.v1;
import "demo/v1/common.proto";
message HelloRequest { string name = 1; uint64 member_id = 2; }
message HelloReply { string message = 1; Header header = 2; Mood mood = 3; }
service Greeter {
  rpc Hello(HelloRequest) returns (HelloReply);
  rpc Stream(stream HelloRequest) returns (stream HelloReply);
}
`;
const COMMON_PROTO = `syntax = "proto3";
package demo.v1;
message Header { uint64 cluster_id = 1; int64 revision = 2; }
enum Mood { CALM = 0; HAPPY = 1; }
`;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function fixture() {
  const tree = makeTree({
    'proto/demo/v1/greeter.proto': GREETER_PROTO,
    'proto/demo/v1/common.proto': COMMON_PROTO,
    'pkg/proto.config.json': JSON.stringify({
      bundles: [{ name: 'demo', protos: ['demo/v1/greeter.proto'] }],
    }),
  });
  cleanups.push(tree.cleanup);
  // Let the generated TypeScript resolve @grpc/grpc-js like a package in this repository would.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(tree.root, 'node_modules'));
  return { pkg: join(tree.root, 'pkg'), protoRoot: join(tree.root, 'proto') };
}

// Generation spawns proto-loader-gen-types: give it time on a loaded 2-core machine.
describe('kubets-proto-gen', { timeout: 60_000 }, () => {
  it('generates a descriptor, types and a loader that a real gRPC server and client can use', async () => {
    const { pkg, protoRoot } = fixture();
    expect(generatePackageProtos(pkg, protoRoot)).toEqual(['src/gen/demo']);
    const load = readFileSync(join(pkg, 'src/gen/demo/load.ts'), 'utf8');
    expect(load.startsWith(GENERATED_HEADER)).toBe(true);
    expect(readFileSync(join(pkg, 'src/gen/demo/types/demo/v1/HelloReply.ts'), 'utf8')).toContain(
      "'header'?:",
    );

    const mod = (await import(join(pkg, 'src/gen/demo/load.ts'))) as { loadGrpcObject: () => any };
    const demo = mod.loadGrpcObject().demo.v1;
    const server = new grpc.Server();
    server.addService(demo.Greeter.service, {
      Hello: (call: any, cb: any) =>
        cb(null, {
          message: `hello ${call.request.name}`,
          header: { cluster_id: call.request.member_id, revision: '7' },
          mood: 'HAPPY',
        }),
      Stream: (call: any) => call.end(),
    });
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? rej(e) : res(p),
      ),
    );
    try {
      const client = new demo.Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const reply = await new Promise<any>((res, rej) =>
        client.Hello(
          { name: 'kubets', member_id: '18446744073709551615' },
          (e: Error | null, r: any) => (e ? rej(e) : res(r)),
        ),
      );
      // uint64 survives exactly as a string; enums are names; defaults are filled in.
      expect(reply).toEqual({
        message: 'hello kubets',
        header: { cluster_id: '18446744073709551615', revision: '7' },
        mood: 'HAPPY',
      });
      client.close();
    } finally {
      server.forceShutdown();
    }
  });

  it('is reproducible: a fresh generation matches the committed one', () => {
    const { pkg, protoRoot } = fixture();
    generatePackageProtos(pkg, protoRoot);
    expect(findStaleGenerated(pkg, protoRoot)).toEqual([]);
  });

  it('does not depend on where the repository is checked out', () => {
    const a = fixture();
    const b = fixture();
    generatePackageProtos(a.pkg, a.protoRoot);
    generatePackageProtos(b.pkg, b.protoRoot);
    const file = 'src/gen/demo/types/demo/v1/HelloReply.ts';
    const text = readFileSync(join(a.pkg, file), 'utf8');
    expect(text).toContain('// Original file: proto/demo/v1/greeter.proto');
    expect(text).toBe(readFileSync(join(b.pkg, file), 'utf8'));
  });

  it('reports generated code that is stale, missing or extra', () => {
    const { pkg, protoRoot } = fixture();
    generatePackageProtos(pkg, protoRoot);
    writeFileSync(
      join(protoRoot, 'demo/v1/common.proto'),
      COMMON_PROTO.replace('HAPPY = 1;', 'HAPPY = 1; SAD = 2;'),
    );
    writeFileSync(join(pkg, 'src/gen/demo/leftover.ts'), 'export {};\n');
    const stale = findStaleGenerated(pkg, protoRoot);
    expect(stale).toContain(
      'src/gen/demo/descriptor.ts: out of date with proto/ (run the generate script)',
    );
    expect(stale).toContain(
      'src/gen/demo/types/demo/v1/Mood.ts: out of date with proto/ (run the generate script)',
    );
    expect(stale).toContain('src/gen/demo/leftover.ts: no longer generated (delete it)');
  });

  it('names the config file and the problem when proto.config.json is wrong', () => {
    const { pkg, protoRoot } = fixture();
    writeFileSync(
      join(pkg, 'proto.config.json'),
      JSON.stringify({ bundles: [{ name: 'Bad Name', protos: ['x.proto'] }] }),
    );
    expect(() => generatePackageProtos(pkg, protoRoot)).toThrow(
      /proto\.config\.json: bundles\[0\]\.name must be a lower-case identifier/,
    );
    writeFileSync(
      join(pkg, 'proto.config.json'),
      JSON.stringify({ bundles: [{ name: 'ok', protos: ['missing.proto'] }] }),
    );
    expect(() => generatePackageProtos(pkg, protoRoot)).toThrow(
      /proto file not found: .*missing\.proto/,
    );
  });
});
