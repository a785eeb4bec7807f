/** Splits text into `count` nearly equal parts (fewer when it is shorter), to simulate a streamed answer. */
export function chunkEvenly(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const parts: string[] = [];
  for (let start = 0; start < text.length; start += size) parts.push(text.slice(start, start + size));
  return parts;
}
