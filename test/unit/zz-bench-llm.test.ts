import { test } from 'vitest';
import { benchLlm } from '../../bench/llm.js';
test('bench', async () => {
  const t = Date.now();
  const f = await benchLlm();
  console.log(JSON.stringify(f, null, 1), 'total ms', Date.now() - t);
}, 300000);
