// Engine turnaround: a responder with the engine's ring and hand-built replies, no
// policy. The bench uses it as `neighproxy-*` only while the daemon is not built (and
// labels it so): it is the ceiling the engine allows, not neighproxy's figure.
//   node dist/bench/pps/turnaround.js IFNAME     (run inside the responder namespace)
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, type Batch, type TxWriter } from '../../src/engine/types';
import { writeIcmp6Checksum } from '../../src/wire/checksum';
import { ARP_TARGET_BASE, T_ARP } from './frames';

function main(ifname: string): void {
  const ring = Ring.open(ifname, { rxFrames: 8192, txFrames: 4096 });
  const mac = ring.mac;
  const m = [Math.floor(mac / 2 ** 40) & 255, Math.floor(mac / 2 ** 32) & 255, (mac >>> 24) & 255, (mac >>> 16) & 255, (mac >>> 8) & 255, mac & 255];
  ring.start((batch: Batch, tx: TxWriter) => {
    const b = batch.buf;
    const d = batch.desc;
    const out = tx.buf;
    for (let k = 0; k < batch.count; k++) {
      const o = d[k * DESC_STRIDE + DESC_OFFSET]!;
      const len = d[k * DESC_STRIDE + DESC_LENGTH]!;
      if (len >= 42 && b[o + 12] === 0x08 && b[o + 13] === 0x06 && b[o + 21] === 1) {
        const tpa = ((b[o + 38]! << 24) | (b[o + 39]! << 16) | (b[o + 40]! << 8) | b[o + 41]!) >>> 0;
        if (tpa - ARP_TARGET_BASE >= T_ARP || tpa < ARP_TARGET_BASE) continue;
        const w = tx.reserve();
        if (w < 0) return;
        out.copyWithin(w, o + 6, o + 12); // to the requester
        for (let i = 0; i < 6; i++) out[w + 6 + i] = m[i]!;
        out.copyWithin(w + 12, o + 12, o + 20);
        out[w + 20] = 0;
        out[w + 21] = 2;
        for (let i = 0; i < 6; i++) out[w + 22 + i] = m[i]!;
        out.copyWithin(w + 28, o + 38, o + 42); // spa = asked-for address
        out.copyWithin(w + 32, o + 22, o + 32); // tha, tpa = requester
        out.fill(0, w + 42, w + 60);
        tx.commit(60);
      } else if (len >= 86 && b[o + 12] === 0x86 && b[o + 13] === 0xdd && b[o + 20] === 58 && b[o + 54] === 135 &&
        b[o + 62] === 0x20 && b[o + 63] === 0x01 && b[o + 64] === 0x0d && b[o + 65] === 0xb8 && b[o + 66] === 0 && b[o + 67] === 2) {
        const w = tx.reserve();
        if (w < 0) return;
        out.copyWithin(w, o + 6, o + 12);
        for (let i = 0; i < 6; i++) out[w + 6 + i] = m[i]!;
        out[w + 12] = 0x86;
        out[w + 13] = 0xdd;
        const ip = w + 14;
        out[ip] = 0x60; out[ip + 1] = 0; out[ip + 2] = 0; out[ip + 3] = 0;
        out[ip + 4] = 0; out[ip + 5] = 32; out[ip + 6] = 58; out[ip + 7] = 255;
        out.copyWithin(ip + 8, o + 62, o + 78); // source: the target
        out.copyWithin(ip + 24, o + 22, o + 38); // destination: the solicitor
        const ic = ip + 40;
        out[ic] = 136; out[ic + 1] = 0; out[ic + 2] = 0; out[ic + 3] = 0;
        out[ic + 4] = 0x40; out[ic + 5] = 0; out[ic + 6] = 0; out[ic + 7] = 0; // solicited
        out.copyWithin(ic + 8, o + 62, o + 78);
        out[ic + 24] = 2; out[ic + 25] = 1;
        for (let i = 0; i < 6; i++) out[ic + 26 + i] = m[i]!;
        writeIcmp6Checksum(out, ip, ic, 32);
        tx.commit(86);
      }
    }
  });
  const stop = (): void => {
    ring.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv[2] ?? 'c0');
