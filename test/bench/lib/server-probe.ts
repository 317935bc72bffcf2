// Preloaded (node --import) into every server under test, Tidings included, so that each one reports its
// own CPU time at µs resolution (process.cpuUsage: every thread, unlike a 10 ms /proc tick) and can be
// asked to collect garbage before its memory is read. It touches nothing else of the server.
import type { ProbeReply, ProbeRequest } from './probe-messages.js';

const collect = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (message: ProbeRequest) => {
    if (message?.type !== 'probe') return;
    // Twice: the first collection's finalizers free more for the second.
    if (message.gc && collect) {
      collect();
      collect();
    }
    const cpu = process.cpuUsage();
    const reply: ProbeReply = {
      type: 'probe-reply',
      id: message.id,
      cpuMicros: cpu.user + cpu.system,
      heapUsedBytes: process.memoryUsage().heapUsed,
      collected: message.gc && collect !== undefined,
    };
    process.send?.(reply);
  });
  // The bench runner is gone (killed without its cleanup): do not outlive it.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
