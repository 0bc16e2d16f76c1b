import { createAccounts } from './accounts.js';
import { createEvents } from './events.js';
import { createStats } from './stats.js';
import { createTodos } from './todos.js';

/** What the routes call: each service does the work and sends its event. */
export function createServices({ store, posthog }) {
  const events = createEvents(posthog);
  return {
    accounts: createAccounts({ store, events }),
    todos: createTodos({ store, events }),
    stats: createStats({ store, events }),
    /** Healthy means the database answers, so a load balancer skips an instance that could only answer 503. */
    isHealthy: () => store.isAvailable(),
  };
}
