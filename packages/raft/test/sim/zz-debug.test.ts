import { Prng } from '@kubets/sim';
import { it } from 'vitest';
import { swarmOptions, World } from './world.js';
import { NodeHost } from './node-host.js';
it('debug', () => {
  const seed = Number(process.env.SEED ?? 160);
  const nodes = Number(process.env.NODES ?? 5);
  const prng = new Prng(seed).fork(`swarm-${nodes}`);
  const opts = swarmOptions(prng, { nodes, faultPhaseMs: 3000 });
  const w = new World(prng, opts);
  const proto = NodeHost.prototype;
  const origRetire = proto.retire;
  proto.retire = function (this: NodeHost) { const h = this; const orig = () => origRetire.call(h); { console.log('retire', h.id, 'at', w.clock.now(), w.describeNodes(), [...w.hosts.values()].filter((x) => x.alive).map((x) => `${x.id}:${JSON.stringify(x.confState.voters)}/${JSON.stringify(x.confState.votersOutgoing)}@${x.appliedIndex}`).join(' ')); orig(); } };
  try { w.run(seed); } catch (e) {
    console.log(String(e).slice(0, 300));
    const lead = w.leader();
    if (lead) console.log(JSON.stringify(lead.node.status().config));
  }
});
