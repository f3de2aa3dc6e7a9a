#!/usr/bin/env python3
# Stand-in load generator and reply capture for smoke-testing the bench harness on a
# machine without the native generator. Not used for published figures: Python cannot
# offer or capture more than a few hundred thousand frames per second.
#
#   standin.py tx IFNAME FRAMES_FILE FRAME_LEN COUNT RATE MAX_SECONDS OUT_FILE
#       sends COUNT frames (cycling through FRAMES_FILE) at RATE/s (0 = flat out),
#       writes one float64 CLOCK_REALTIME ns send time per frame to OUT_FILE.
#   standin.py rx IFNAME OUT_FILE
#       captures incoming frames until stdin closes; writes records of
#       float64 receive time (SO_TIMESTAMPNS) + 96 bytes of frame to OUT_FILE.
import array, os, select, socket, struct, sys, time

SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
SNAP = 96

def tx(ifname, frames_file, frame_len, count, rate, max_seconds, out_file):
    data = open(frames_file, 'rb').read()
    frames = [data[i:i + frame_len] for i in range(0, len(data), frame_len)]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, 0))
    times = array.array('d')
    send, now, n, nf = s.send, time.time_ns, 0, len(frames)
    t0 = now()
    deadline = t0 + int(max_seconds * 1e9)
    gap = 1e9 / rate if rate > 0 else 0
    while n < count:
        t = now()
        if t > deadline:
            break
        if gap and t < t0 + n * gap:
            continue
        try:
            send(frames[n % nf])
        except BlockingIOError:
            continue
        times.append(t)
        n += 1
    with open(out_file, 'wb') as f:
        times.tofile(f)
    print(n, flush=True)

def rx(ifname, out_file):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((ifname, 0))
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    except OSError:
        pass
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    out = open(out_file, 'wb')
    print('ready', flush=True)
    stdin = sys.stdin.fileno()
    recs = []
    while True:
        r, _, _ = select.select([s, stdin], [], [], 0.5)
        if stdin in r and not os.read(stdin, 4096):
            break
        if s not in r:
            continue
        while True:
            try:
                data, anc, _, addr = s.recvmsg(2048, 64, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            ts = 0.0
            for lvl, typ, val in anc:
                if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack('qq', val[:16])
                    ts = sec * 1e9 + nsec
            recs.append(struct.pack('d', ts) + data[:SNAP].ljust(SNAP, b'\0'))
    out.write(b''.join(recs))
    out.close()

if __name__ == '__main__':
    a = sys.argv[1:]
    if a[0] == 'tx':
        tx(a[1], a[2], int(a[3]), int(a[4]), float(a[5]), float(a[6]), a[7])
    else:
        rx(a[1], a[2])
