// Captures what a command writes, for tests of src/cli/commands/*.

export function capture(): { io: { stdout(t: string): void; stderr(t: string): void }; out: { stdout: string; stderr: string } } {
  const out = { stdout: '', stderr: '' };
  return {
    io: {
      stdout: (t) => {
        out.stdout += t;
      },
      stderr: (t) => {
        out.stderr += t;
      },
    },
    out,
  };
}
