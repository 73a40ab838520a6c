// Building DOM nodes. Strings always become text nodes, never markup: user data (names,
// messages, form answers) cannot inject HTML however it is passed in.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/**
 * Collapses a burst of calls (one batch of live events) into one run of `fn` shortly after.
 * A call that arrives while `fn` runs schedules one more run: that run's reads may predate it.
 */
export function coalesce(fn, delay = 50) {
  let phase = 'idle';
  let again = false;
  const run = async () => {
    await new Promise((resolve) => setTimeout(resolve, delay));
    phase = 'running';
    try {
      await fn();
    } finally {
      phase = 'idle';
      if (again) {
        again = false;
        trigger();
      }
    }
  };
  const trigger = () => {
    if (phase === 'running') again = true;
    if (phase === 'idle') {
      phase = 'scheduled';
      run().catch((error) => console.error(error));
    }
  };
  return trigger;
}

/**
 * Runs `render`, which rebuilds `root`, without losing the keyboard focus or open <details>
 * inside it: live updates must not throw a keyboard user back to the top of the page.
 * Elements are matched by their `data-key`.
 */
export function rerender(root, render) {
  const focused = root.contains(document.activeElement)
    ? document.activeElement.closest('[data-key]')?.dataset.key
    : undefined;
  const open = new Set([...root.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
  render();
  for (const details of root.querySelectorAll('details[data-key]')) {
    details.open = open.has(details.dataset.key);
  }
  if (focused !== undefined) {
    root.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }
}
