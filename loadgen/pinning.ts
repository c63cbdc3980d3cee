/**
 * Where the machine allows (taskset and two or more CPUs), the server runs on one CPU and the load
 * generator on another, so that the two never compete for a core and the server's figures are not
 * the scheduler's.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export const SERVER_CPU = '0';
export const LOADGEN_CPU = '1';

export function canPin(): boolean {
  return os.cpus().length >= 2 && spawnSync('taskset', ['-c', SERVER_CPU, 'true']).status === 0;
}

/**
 * Pins this process (the load generator) to LOADGEN_CPU, every thread of it (-a): V8's garbage
 * collection helpers and libuv's pool start before this call and keep the affinity they had, so
 * pinning the main thread alone left them free to run on the server's CPU (the gate's canary saw
 * that CPU 10–30% slower for seconds after every trial until they were pinned too). False when it
 * could not.
 */
export function pinLoadGenerator(): boolean {
  return canPin() && spawnSync('taskset', ['-a', '-cp', LOADGEN_CPU, String(process.pid)]).status === 0;
}
