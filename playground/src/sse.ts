/**
 * Reads an OpenAI-style server-sent event stream (`data: {...}` lines, `data: [DONE]` at the
 * end) from a fetch Response, calling onEvent with each parsed JSON payload as it arrives.
 */
export async function readEvents(response: Response, onEvent: (payload: unknown) => void): Promise<void> {
  if (response.body === null) throw new Error('the response has no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        onEvent(JSON.parse(data));
      }
    }
  }
}
