import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, runToolCall, toolSpec } from '../../src/core/tools.js';
import type { ToolCall } from '../../src/store/types.js';

const weather = defineTool({
  name: 'get_weather',
  description: 'Weather forecast for a city',
  parameters: z.object({
    city: z.string().min(1),
    days: z.number().int().min(1).max(7).default(1),
  }),
  execute: async ({ city, days }) => ({ city, days, forecast: 'sunny' }),
});

const clock = defineTool({
  name: 'clock',
  description: 'The current time',
  parameters: z.object({}),
  execute: () => '12:00',
});

const broken = defineTool({
  name: 'broken',
  description: 'Always fails',
  parameters: z.object({}),
  execute: () => {
    throw new Error('disk full');
  },
});

const tools = [weather, clock, broken];

function call(name: string, args: string): ToolCall {
  return { id: 'call_1', type: 'function', function: { name, arguments: args } };
}

describe('toolSpec', () => {
  it('describes the arguments as a JSON schema of what the model may send', () => {
    expect(toolSpec(weather)).toEqual({
      name: 'get_weather',
      description: 'Weather forecast for a city',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string', minLength: 1 },
          days: { type: 'integer', minimum: 1, maximum: 7, default: 1 },
        },
        required: ['city'],
      },
    });
  });
});

describe('runToolCall', () => {
  it('runs a valid call, applying defaults, and returns objects as JSON', async () => {
    expect(await runToolCall(tools, call('get_weather', '{"city":"Paris"}'))).toBe('{"city":"Paris","days":1,"forecast":"sunny"}');
  });

  it('returns a string result as it is, and takes empty arguments as {}', async () => {
    expect(await runToolCall(tools, call('clock', ''))).toBe('12:00');
  });

  it('answers an unknown tool with the tools there are', async () => {
    expect(await runToolCall(tools, call('launch', '{}'))).toBe('error: there is no tool named "launch" (available: get_weather, clock, broken)');
  });

  it('answers arguments that are not JSON', async () => {
    expect(await runToolCall(tools, call('get_weather', '{"city": "Par'))).toMatch(/^error: the arguments of get_weather are not valid JSON \(.+\); send a JSON object$/);
  });

  it('answers arguments that break the schema, naming each field', async () => {
    const result = await runToolCall(tools, call('get_weather', '{"city":"","days":9.5}'));

    expect(result).toMatch(/^error: invalid arguments for get_weather: city: .+; days: .+$/);
    expect(result).not.toContain('\n');
  });

  it('answers a tool that throws with its error', async () => {
    expect(await runToolCall(tools, call('broken', '{}'))).toBe('error: broken failed: disk full');
  });
});
