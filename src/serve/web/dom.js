// Small DOM helpers. Text from users, the model or the API only ever goes in through textContent.
import { describeProblem } from './api.js';

/** `el('li', { class: 'x', dataset: { seq: 1 } }, 'text', child, …)`: strings become text nodes, never markup. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function $(selector) {
  return document.querySelector(selector);
}

/**
 * For a view that a newer request replaces: `const mine = order();` before the request, and after it
 * `if (!mine()) return;`, so a slow answer to an older request never overwrites a newer one.
 */
export function requestOrder() {
  let latest = 0;
  return () => {
    const mine = ++latest;
    return () => mine === latest;
  };
}

/** A short local date and time for an ISO string. */
export function when(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** The page's one line of news: an error (role=alert) or a plain notice; empty text hides it. */
export function notify(text, kind = 'error') {
  const box = $('#notice');
  box.textContent = text;
  box.className = `notice ${kind}`;
  box.hidden = !text;
}

/** Runs an action, showing what went wrong in the page (in words) instead of in the console. */
export async function guard(action) {
  try {
    await action();
  } catch (error) {
    notify(describeProblem(error));
  }
}

/** The key form both pages share: fills in the stored key, and calls `onKey` when one is saved or forgotten. */
export function setUpKeyForm(storedKey, storeKey, onKey) {
  const input = $('#key');
  input.value = storedKey();
  $('#key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    storeKey(input.value.trim());
    onKey();
  });
  $('#forget-key').addEventListener('click', () => {
    input.value = '';
    storeKey('');
    onKey();
  });
}
