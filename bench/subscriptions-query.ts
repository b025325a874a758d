// The subscriptions benchmark with a selection that reads data on every event
// (`listen { relatedNodeId query { allPosts(first: 3) { … } } }`).
process.env.BENCH_SELECTION = 'query';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./subscriptions');
