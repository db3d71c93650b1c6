export { main, UsageError } from "./main.js";
export type { Io } from "./main.js";
