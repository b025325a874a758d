// Explain, as PostGraphile v4's PostGraphiQL has it (server started with --allow-explain): a
// toggle in GraphiQL's toolbar; while it is on, requests carry `X-PostGraphile-Explain: on`,
// and the SQL and EXPLAIN plan of each statement the server ran are shown in a pane beside the
// result (they are taken out of the result, so the response editor shows only GraphQL's answer).
(function () {
  'use strict';

  var STORAGE_KEY = 'forum-dev:explain';

  // Clauses that start a line of their own, in a statement or a subquery (not inside a call
  // such as `extract(epoch from x)` or `over (order by x)`).
  var CLAUSE = /^(select|from|where|group by|having|order by|limit|offset|returning|values|union all|union|left join|inner join|join|on conflict|set)$/i;

  /**
   * The statement one clause a line, subqueries indented by depth, for reading. Quoted text
   * ('...' and "...") is copied as it is; only the spaces between tokens change.
   */
  function formatSql(sql) {
    var tokens = sql.match(/'(?:[^']|'')*'?|"(?:[^"]|"")*"?|\s+|[A-Za-z_][A-Za-z0-9_$]*|[()]|[^\sA-Za-z_()'"]+/g) || [];
    var out = '';
    var stack = []; // per open parenthesis: does it hold a query?
    var depth = 0; // open parentheses that hold a query
    var line = function () {
      out = out.replace(/ +$/, '') + '\n' + new Array(depth + 1).join('  ');
    };
    var next = function (i) {
      for (var j = i; j < tokens.length; j++) if (!/^\s+$/.test(tokens[j])) return tokens[j];
      return '';
    };
    for (var i = 0; i < tokens.length; i++) {
      var t = tokens[i];
      if (/^\s+$/.test(t)) {
        if (out && !/[\s(]$/.test(out)) out += ' ';
      } else if (t === '(') {
        var query = /^(select|with|insert|update|delete)$/i.test(next(i + 1));
        stack.push(query);
        out += '(';
        if (query) {
          depth++;
          line();
        }
      } else if (t === ')') {
        if (stack.pop()) {
          depth--;
          line();
          out += ')';
        } else {
          out = out.replace(/ +$/, '') + ')';
        }
      } else {
        var inQuery = stack.length === 0 || stack[stack.length - 1];
        var clause = /^[A-Za-z]+$/.test(t) && (CLAUSE.test(t) || CLAUSE.test(t + ' ' + next(i + 1)));
        if (inQuery && clause && out && !/\n *$/.test(out)) line();
        out += t;
      }
    }
    return out.trim();
  }

  window.ForumDevExplain = function (config, onChange) {
    var allowed = !!config.allowExplain;
    var on = false;
    try {
      on = allowed && window.localStorage.getItem(STORAGE_KEY) === 'on';
    } catch (e) {
      // storage may be off; the toggle then starts off
    }
    var last = null; // the explain list of the last answer, or null before any

    var pane = document.getElementById('forum-dev-explain');

    function text(tag, className, value) {
      var el = document.createElement(tag);
      if (className) el.className = className;
      el.textContent = value;
      return el;
    }

    function render() {
      pane.hidden = !(allowed && on);
      if (pane.hidden) return;
      pane.textContent = '';
      var head = document.createElement('div');
      head.className = 'forum-dev-explain-head';
      head.appendChild(text('span', 'forum-dev-explain-title', 'Explain'));
      var close = text('button', 'forum-dev-explain-close', '\u00d7');
      close.type = 'button';
      close.setAttribute('aria-label', 'Turn Explain off');
      close.addEventListener('click', function () {
        set(false);
      });
      head.appendChild(close);
      pane.appendChild(head);
      if (last === null) {
        pane.appendChild(text('p', 'forum-dev-explain-empty', 'Run an operation to see the SQL it runs and the plan PostgreSQL makes for it.'));
        return;
      }
      if (last.length === 0) {
        pane.appendChild(text('p', 'forum-dev-explain-empty', 'The last operation ran no SQL statement (e.g. only introspection, or an error before the database).'));
        return;
      }
      last.forEach(function (entry, i) {
        var section = document.createElement('section');
        section.className = 'forum-dev-explain-entry';
        section.appendChild(text('h3', null, last.length > 1 ? 'Statement ' + (i + 1) + ' of ' + last.length : 'Statement'));
        section.appendChild(text('h4', null, 'SQL'));
        section.appendChild(text('pre', 'forum-dev-explain-sql', formatSql(String(entry.query))));
        section.appendChild(text('h4', null, 'Plan'));
        section.appendChild(text('pre', 'forum-dev-explain-plan', String(entry.plan)));
        pane.appendChild(section);
      });
    }

    function set(value) {
      on = allowed && value;
      try {
        window.localStorage.setItem(STORAGE_KEY, on ? 'on' : 'off');
      } catch (e) {
        // not remembered across reloads, still works now
      }
      render();
      onChange();
    }

    render();
    return {
      formatSql: formatSql,
      allowed: allowed,
      isOn: function () {
        return on;
      },
      toggle: function () {
        set(!on);
      },
      /** Headers to add to a request. */
      headers: function () {
        return on ? { 'X-PostGraphile-Explain': 'on' } : {};
      },
      /** The result without its explain list, which goes to the pane. */
      take: function (body) {
        if (!body || typeof body !== 'object' || !Array.isArray(body.explain)) return body;
        last = body.explain;
        var rest = {};
        Object.keys(body).forEach(function (k) {
          if (k !== 'explain') rest[k] = body[k];
        });
        render();
        return rest;
      },
    };
  };
})();
