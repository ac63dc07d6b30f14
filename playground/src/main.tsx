/**
 * The llmts playground: one page per stage of the stack, picked by the URL hash (#/tokenizers,
 * #/generate, #/train, #/attention, #/positions) so every page has an address and the app works from any static
 * folder. Each page sets data-ready on its <main> once it has loaded what it needs (the tests wait
 * for it).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { TokenizersPage } from './pages/tokenizers.tsx';
import { GeneratePage } from './pages/generate.tsx';
import { TrainPage } from './pages/train.tsx';
import { AttentionPage } from './pages/attention.tsx';
import { PositionsPage } from './pages/positions.tsx';
import './style.css';

interface Route {
  path: string;
  title: string;
  page: () => JSX.Element;
}

const ROUTES: Route[] = [
  { path: 'tokenizers', title: 'Tokenizers', page: () => <TokenizersPage /> },
  { path: 'generate', title: 'Generate', page: () => <GeneratePage /> },
  { path: 'train', title: 'Train', page: () => <TrainPage /> },
  { path: 'attention', title: 'Attention', page: () => <AttentionPage /> },
  { path: 'positions', title: 'Positions', page: () => <PositionsPage /> },
];

function current(): Route {
  const path = location.hash.replace(/^#\/?/, '');
  return ROUTES.find((r) => r.path === path) ?? ROUTES[0]!;
}

function App(): JSX.Element {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = (): void => setRoute(current());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    document.title = `${route.title} · llmts playground`;
  }, [route]);
  return (
    <>
      <a
        class="skip"
        href="#content"
        onClick={(e) => (e.preventDefault(), document.getElementById('content')?.focus())}
      >
        Skip to content
      </a>
      <header>
        <strong>llmts playground</strong>
        <nav aria-label="Pages">
          {ROUTES.map((r) => (
            <a href={`#/${r.path}`} aria-current={r === route ? 'page' : undefined}>
              {r.title}
            </a>
          ))}
        </nav>
      </header>
      <div id="content" tabIndex={-1}>
        {route.page()}
      </div>
    </>
  );
}

render(<App />, document.getElementById('app')!);
