// forum-dev's GraphiQL page: plain browser JavaScript on top of the GraphiQL, React and
// graphql-ws browser builds served by the dev server (no bundler, no CDN).
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('forum-dev-config').textContent);

  // Tests and curious users can watch the page's view of the schema stream here.
  var state = {
    offeredToken: null,
    generation: null,
    schemaFetches: 0,
    schemaApplied: 0,
    lastChange: null,
    streamOpen: false,
  };
  window.__forumDev = state;

  // Open the change stream before anything else so that a schema change between page load and
  // the first introspection cannot be missed.
  var source = config.streamRoute ? new EventSource(config.streamRoute) : null;

  var React = window.React;
  var GraphiQL = window.GraphiQL;
  // GraphiQL's own graphql-js instance: schemas built with another copy fail its instanceof checks.
  var GraphQL = GraphiQL.GraphQL;
  var h = React.createElement;

  var DEFAULT_QUERY = [
    '# Welcome to forum-dev.',
    '#',
    '# Write a query here and press Ctrl-Enter (or the run button) to send it.',
    '# The docs (book icon, top left) describe every type and field.',
    '# Put request headers such as {"Authorization": "Bearer <token>"} in the',
    '# Headers tab below.',
    '',
    'query LatestPosts {',
    '  allPosts(first: 5, orderBy: CREATED_AT_DESC) {',
    '    totalCount',
    '    nodes {',
    '      headline',
    '      topic',
    '      personByAuthorId {',
    '        fullName',
    '      }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');

  // ---- notices (graphiql-notices.js): a banner for errors that persist, toasts in a dock ----

  var setBanner = window.ForumDevNotices.setBanner;
  var toast = window.ForumDevNotices.toast;

  function describeChange(data) {
    var changes = (data && Array.isArray(data.changes) && data.changes) || [];
    var shown = changes.slice(0, 6).join(', ');
    if (changes.length > 6) shown += ' and ' + (changes.length - 6) + ' more';
    var text = changes.length ? 'Schema updated: ' + shown : 'Schema updated';
    return data && data.ddl ? text + ' (' + data.ddl + ')' : text;
  }

  function describeError(error) {
    // file:line:column, as editors read it (`position` is Postgres's offset into the whole file)
    var where = error.file || '';
    if (where && error.line != null) where += ':' + error.line + (error.column != null ? ':' + error.column : '');
    return (where ? where + ': ' : '') + (error.message || 'schema update failed');
  }

  // ---- HTTP ----

  function postJson(url, body, headers) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: Object.assign({ Accept: 'application/json', 'Content-Type': 'application/json' }, headers),
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.text().then(function (text) {
        try {
          return { status: res.status, ok: res.ok, body: JSON.parse(text) };
        } catch (e) {
          throw new Error('HTTP ' + res.status + ' from ' + url + ': ' + text.slice(0, 300));
        }
      });
    });
  }

  // Headers from the header editor, kept so introspection is sent with the same identity.
  var lastHeaders = storedHeaders();

  // The headers GraphiQL kept from the last visit (shouldPersistHeaders), so the first
  // introspection already goes out as the same identity.
  function storedHeaders() {
    try {
      var tabs = JSON.parse(window.localStorage.getItem('graphiql:tabState') || 'null');
      var tab = tabs && tabs.tabs && tabs.tabs[tabs.activeTabIndex];
      var text = tab && typeof tab.headers === 'string' ? tab.headers : window.localStorage.getItem('graphiql:headers');
      return parseHeaders(text || '');
    } catch (e) {
      return {};
    }
  }

  function parseHeaders(text) {
    if (!text || !text.trim()) return {};
    var value = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('headers must be a JSON object');
    return value;
  }

  // ---- schema loading: one request at a time; requests made meanwhile collapse into one more ----

  var schema = null;
  var loading = false;
  var reloadAfter = false;

  function introspect() {
    var url = config.graphqlRoute;
    var query = GraphQL.getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true });
    return postJson(url, { query: query, operationName: 'IntrospectionQuery' }, lastHeaders)
      .then(function (r) {
        if (r.body && r.body.data) return r;
        // Servers on older graphql-js reject inputValueDeprecation; the plain query works everywhere.
        return postJson(url, { query: GraphQL.getIntrospectionQuery(), operationName: 'IntrospectionQuery' }, lastHeaders);
      })
      .then(function (r) {
        if (!r.body || !r.body.data) {
          var errors = (r.body && r.body.errors) || [];
          throw new Error(errors.map(function (e) { return e.message; }).join('; ') || 'HTTP ' + r.status);
        }
        return GraphQL.buildClientSchema(r.body.data);
      });
  }

  function requestSchema() {
    if (loading) {
      reloadAfter = true;
      return;
    }
    loading = true;
    state.schemaFetches += 1;
    introspect()
      .then(
        function (next) {
          schema = next;
          state.schemaApplied += 1;
          setBanner('schema', null);
          render();
        },
        function (err) {
          setBanner('schema', 'Could not load the GraphQL schema: ' + err.message);
        }
      )
      .then(function () {
        loading = false;
        if (reloadAfter) {
          reloadAfter = false;
          requestSchema();
        }
      });
  }

  // ---- live schema updates (PostGraphile v4's `event: open` / `event: change` stream) ----

  // After a reconnect the server may have restarted and counted generations from zero again.
  var acceptAnyGeneration = true;

  function eventGeneration(event, data) {
    if (data && typeof data.generation === 'number') return data.generation;
    var id = event.lastEventId;
    return id !== '' && id != null && isFinite(Number(id)) ? Number(id) : null;
  }

  function parseData(text) {
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function onOpen(event) {
    if (!(event instanceof MessageEvent)) {
      // The connection itself (re)opened: anything may have changed while it was down.
      state.streamOpen = true;
      acceptAnyGeneration = true;
      requestSchema();
      return;
    }
    var gen = eventGeneration(event, parseData(event.data));
    if (gen !== null) {
      state.generation = gen;
      acceptAnyGeneration = false;
    }
    requestSchema();
  }

  function onChange(event) {
    var data = parseData(event.data);
    var gen = eventGeneration(event, data);
    if (gen !== null && state.generation !== null && !acceptAnyGeneration && gen <= state.generation) return;
    if (gen !== null) {
      state.generation = gen;
      acceptAnyGeneration = false;
    }
    state.lastChange = data || {};
    if (data && data.error) {
      setBanner('sql', describeError(data.error));
    } else {
      setBanner('sql', null);
      toast(describeChange(data));
    }
    requestSchema();
  }

  if (source) {
    source.addEventListener('open', onOpen);
    source.addEventListener('change', onChange);
    source.addEventListener('error', function () {
      state.streamOpen = false;
    });
  }

  // ---- execution: HTTP for queries and mutations, graphql-ws for subscriptions ----

  var ws = null;

  function websocketUrl(url) {
    var u = new URL(url, window.location.href);
    if (u.protocol === 'http:') u.protocol = 'ws:';
    if (u.protocol === 'https:') u.protocol = 'wss:';
    return u.toString();
  }

  function lowerCaseKeys(obj) {
    var out = {};
    Object.keys(obj).forEach(function (k) {
      out[k.toLowerCase()] = obj[k];
    });
    return out;
  }

  // connection_init is sent once per socket, so a change of headers needs a new client.
  function wsClient(headers) {
    var key = JSON.stringify(headers);
    if (ws && ws.key === key) return ws.client;
    if (ws) ws.client.dispose();
    var params = lowerCaseKeys(headers);
    ws = {
      key: key,
      client: window.graphqlWs.createClient({
        url: websocketUrl(config.subscriptionsUrl),
        connectionParams: function () {
          return params;
        },
        lazy: true,
        retryAttempts: 2,
      }),
    };
    return ws.client;
  }

  function wsError(err) {
    if (err instanceof Error) return err;
    if (Array.isArray(err)) return new Error(err.map(function (e) { return e.message; }).join('; '));
    if (err && typeof err.code === 'number') return new Error('WebSocket closed (' + err.code + (err.reason ? ': ' + err.reason : '') + ')');
    return new Error('subscription failed');
  }

  function isSubscription(params, documentAST) {
    if (!documentAST) return false;
    try {
      var op = GraphQL.getOperationAST(documentAST, params.operationName || undefined);
      return !!op && op.operation === 'subscription';
    } catch (e) {
      return false;
    }
  }

  // The editors of GraphiQL, captured by a component rendered inside it (see Bridge below).
  var editors = null;

  function fetcher(params, opts) {
    var headers = (opts && opts.headers) || {};
    lastHeaders = headers;
    if (config.subscriptionsUrl && isSubscription(params, opts && opts.documentAST)) {
      var client = wsClient(headers);
      return {
        subscribe: function (observer) {
          var dispose = client.subscribe(params, {
            next: function (value) { observer.next(value); },
            error: function (err) { observer.error(wsError(err)); },
            complete: function () { observer.complete(); },
          });
          return { unsubscribe: dispose };
        },
      };
    }
    return postJson(config.graphqlRoute, params, Object.assign({}, headers, explain.headers())).then(function (r) {
      var body = explain.take(r.body);
      // a JWT in the result (e.g. `authenticate`'s jwtToken) is offered as the Authorization header
      state.offeredToken = window.ForumDevIdentity.offerToken(body, function () {
        return editors;
      }, toast);
      return body;
    });
  }

  function onEditHeaders(text) {
    try {
      lastHeaders = parseHeaders(text);
    } catch (e) {
      // Half-typed JSON: keep the last valid headers.
    }
  }

  var explain = window.ForumDevExplain(config, function () {
    render();
  });

  // Rendered inside GraphiQL (its toolbar), so it can reach the editors, and home of the
  // Explain toggle.
  function Bridge() {
    editors = GraphiQL.React.useEditorContext({ nonNull: true });
    if (!explain.allowed) return null;
    var on = explain.isOn();
    return h(
      GraphiQL.React.ToolbarButton,
      {
        label: on ? 'Explain is on: requests show their SQL and plan (click to turn off)' : 'Explain: show the SQL and plan of each request',
        onClick: explain.toggle,
        className: 'forum-dev-explain-toggle' + (on ? ' active' : ''),
        'aria-pressed': on,
      },
      h('span', { className: 'forum-dev-explain-label' }, 'SQL')
    );
  }

  var plugins = [window.GraphiQLPluginExplorer.explorerPlugin({ showAttribution: false })];
  if (config.devTokenRoute) plugins.push(window.ForumDevIdentity(config, h, React, GraphiQL));

  var root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  function render() {
    root.render(
      h(GraphiQL, {
        fetcher: fetcher,
        schema: schema,
        defaultQuery: DEFAULT_QUERY,
        isHeadersEditorEnabled: true,
        // Headers (e.g. the Authorization a token was put in) survive a reload, as in Ruru.
        shouldPersistHeaders: true,
        onEditHeaders: onEditHeaders,
        plugins: plugins,
        toolbar: { additionalComponent: Bridge },
      })
    );
  }

  // GraphiQL's own "Re-fetch GraphQL schema" button does nothing when the page supplies the
  // schema, so route it to the page's loader.
  document.addEventListener(
    'click',
    function (event) {
      var target = event.target;
      if (target && target.closest && target.closest('button[aria-label="Re-fetch GraphQL schema"]')) requestSchema();
    },
    true
  );

  render();
  requestSchema();
})();
