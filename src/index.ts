// The package's public API.
export { Agent, DEFAULT_MODEL, DEFAULT_WINDOW } from './core/agent.js';
export type { AgentMemoryOptions, AgentOptions, AgentTurnOptions, StartOptions, TurnResult } from './core/agent.js';
export { MAX_TOOL_ROUNDS, TurnEngine } from './core/turn-engine.js';
export type { GeneratedTurn, GenerateOptions, TurnEngineOptions } from './core/turn-engine.js';
export { TurnAbortedError } from './core/turn-errors.js';
export { generateSessionId, sessionIds } from './core/session-ids.js';
export { buildContext } from './core/context.js';
export { defineTool, type Tool } from './core/tools.js';
export { LlmError } from './core/llm/chat-model.js';
export type { AssistantReply, ChatMessage, ChatModel, ChatRequest, LlmFailure, ToolSpec } from './core/llm/chat-model.js';
export { createChatModel, type ChatModelConfig } from './core/llm/create-chat-model.js';
export { EchoModel } from './core/llm/echo-model.js';
export { openStore, type OpenStoreOptions } from './store/open-store.js';
export { parseDbLocation, redactUrl } from './store/db-location.js';
export { MAX_RUNTIME_STATE_BYTES } from './store/runtime-state.js';
export { isStoreUnreachable, ThreadlineError } from './errors.js';
export { InvalidInputError, LockLostError, SessionBusyError, StoreUnavailableError } from './store/errors.js';
export type * from './store/types.js';
