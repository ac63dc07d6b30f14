/**
 * The import boundaries of docs/architecture.md, checked by `npm run depcheck`
 * (dependency-cruiser). LAYERS lists, for each folder of src/, the folders it may import
 * directly; everything those may import is allowed too (the transitive closure), nothing
 * else. align/ has inner layers: shared/ < tasks/ < the algorithms < the pipeline.
 */
const LAYERS = {
  core: [],
  backends: ['core'],
  engine: ['backends'],
  nn: ['engine'],
  optim: ['nn'],
  generate: ['core'],
  tokenizers: ['core'],
  models: ['nn', 'generate'],
  io: ['models', 'optim', 'tokenizers'],
  data: ['tokenizers', 'core'],
  train: ['models', 'data', 'optim', 'io'],
  chat: ['models', 'generate', 'data'],
  serve: ['io', 'chat', 'models', 'generate', 'tokenizers'],
  align: ['train', 'chat'],
  lab: ['align', 'serve'],
  demo: ['align', 'serve'],
};

function closure(layer, seen = new Set()) {
  for (const dep of LAYERS[layer]) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    closure(dep, seen);
  }
  return seen;
}

const layerRules = Object.keys(LAYERS).map((layer) => {
  const allowed = [layer, ...closure(layer)];
  return {
    name: `layer-${layer}`,
    comment: `src/${layer}/ may import only ${allowed.slice(1).join(', ') || 'nothing of llmts'} (docs/architecture.md)`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    // any other folder of src/, or src/'s own top-level files (index.ts)
    to: { path: `^src/(?!(?:${allowed.join('|')})/)` },
  };
});

// align/'s inner layers (docs/architecture.md): the top files, the algorithms, tasks/, shared/
const ALIGN_TOP = 'src/align/(?:pipeline|online-inputs|stage-options|index)\\.ts$';
const alignRules = [
  {
    name: 'align-shared',
    comment: 'align/shared/ is the bottom of align/: it imports nothing else of align/',
    severity: 'error',
    from: { path: '^src/align/shared/' },
    to: { path: '^src/align/(?!shared/)' },
  },
  {
    name: 'align-tasks',
    comment: 'align/tasks/ imports only align/shared/',
    severity: 'error',
    from: { path: '^src/align/tasks/' },
    to: { path: '^src/align/(?!shared/|tasks/)' },
  },
  {
    name: 'align-algorithms',
    comment: 'the algorithms (sft, reward, ppo, dpo, grpo, ...) never import the pipeline layer',
    severity: 'error',
    from: { path: '^src/align/[^/]+\\.ts$', pathNot: ALIGN_TOP },
    to: { path: ALIGN_TOP },
  },
];

module.exports = {
  forbidden: [
    ...layerRules,
    ...alignRules,
    {
      name: 'src-not-above',
      comment: 'the library never imports the CLI, tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(cli|test|bench|scripts|dev)/' },
    },
    {
      name: 'no-circular-folders',
      comment: 'no import cycle crosses a folder of src/ (the layers above already forbid most)',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, path: '^src/', pathNot: '^src/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
