// The perf split's buckets, from call stacks as `perf script` prints them (leaf first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketOf } from '../../bench/pps/perfsplit';

const SEND = ['packet_sendmsg', '__sys_sendto', '__x64_sys_sendto', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe', '__libc_sendto'];

test('a sample is put in one bucket by its stack', () => {
  assert.equal(bucketOf(['Builtins_JSEntry', 'uv_run'], false), 'user (JS, node, addon)');
  assert.equal(bucketOf(['veth_xmit', 'dev_hard_start_xmit', '__dev_queue_xmit', ...SEND], true), 'sendto: send path');
  assert.equal(
    bucketOf(['tpacket_rcv', '__netif_receive_skb_core', 'process_backlog', 'net_rx_action', 'handle_softirqs', 'do_softirq', '__local_bh_enable_ip', '__dev_queue_xmit', ...SEND], true),
    'sendto: far side (veth runs it inside the send)',
  );
  assert.equal(bucketOf(['ep_poll', 'do_epoll_wait', '__x64_sys_epoll_wait', 'do_syscall_64'], true), 'epoll_wait');
  assert.equal(bucketOf(['packet_getsockopt', '__sys_getsockopt', 'do_syscall_64'], true), 'other system calls');
  assert.equal(bucketOf(['clear_page_erms', 'exc_page_fault', 'asm_exc_page_fault'], true), 'interrupts, faults, other kernel');
  // A softirq that interrupts user code is not the sender's far side.
  assert.equal(bucketOf(['net_rx_action', 'handle_softirqs', 'irq_exit_rcu', 'sysvec_apic_timer_interrupt'], true), 'interrupts, faults, other kernel');
});
