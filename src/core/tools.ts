import { z } from 'zod';
import type { ToolCall } from '../store/types.js';
import type { ToolSpec } from './llm/chat-model.js';

/** A function the model may call. Its arguments are checked against `parameters` before `execute` runs. */
export interface Tool<Parameters extends z.ZodObject = z.ZodObject> {
  /** `^[a-zA-Z0-9_-]{1,64}$`, as the API requires. */
  name: string;
  description: string;
  parameters: Parameters;
  /** The result reaches the model as a string: strings as they are, anything else as JSON. */
  execute(args: z.infer<Parameters>): unknown;
}

/** Identity at run time; it exists so `execute`'s argument type is inferred from the schema. */
export function defineTool<Parameters extends z.ZodObject>(tool: Tool<Parameters>): Tool<Parameters> {
  return tool;
}

export function toolSpec(tool: Tool): ToolSpec {
  // `io: 'input'`: the model writes what the schema accepts, before defaults and transforms apply.
  const { $schema: _dialect, ...parameters } = z.toJSONSchema(tool.parameters, { io: 'input' });
  return { name: tool.name, description: tool.description, parameters };
}

/**
 * Runs the call and returns the tool message's content. It never throws: a bad call becomes an error text for
 * the model, so every tool call still gets its answer and the conversation stays valid for the API.
 */
export async function runToolCall(tools: readonly Tool[], call: ToolCall): Promise<string> {
  const { name } = call.function;
  const tool = tools.find((candidate) => candidate.name === name);
  if (!tool) {
    const known = tools.map((candidate) => candidate.name).join(', ') || 'none';
    return `error: there is no tool named ${JSON.stringify(name)} (available: ${known})`;
  }
  let raw: unknown;
  try {
    // Models send '' for a call without arguments.
    raw = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
  } catch (error) {
    return `error: the arguments of ${name} are not valid JSON (${describe(error)}); send a JSON object`;
  }
  const parsed = tool.parameters.safeParse(raw);
  if (!parsed.success) {
    return `error: invalid arguments for ${name}: ${describeIssues(parsed.error)}`;
  }
  try {
    return serializeResult(await tool.execute(parsed.data));
  } catch (error) {
    return `error: ${name} failed: ${describe(error)}`;
  }
}

function serializeResult(result: unknown): string {
  if (typeof result === 'string') return result;
  return JSON.stringify(result) ?? 'null';
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(arguments)'}: ${issue.message}`).join('; ');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
