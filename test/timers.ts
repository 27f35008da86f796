// How many timers keep this process up: a component that left one behind after close() would keep its process
// from exiting, which tests of close() check by counting before and after.
export const activeTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
