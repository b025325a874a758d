// Explain, as PostGraphile v4's PostGraphiQL has it (server started with --allow-explain): a
// toggle in GraphiQL's toolbar; while it is on, requests carry `X-PostGraphile-Explain: on`,
// and the SQL and EXPLAIN plan of each statement the server ran are shown in a pane beside the
// result (they are taken out of the result, so the response editor shows only GraphQL's answer).
(function () {
  'use strict';

  var STORAGE_KEY = 'forum-dev:explain';

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
        section.appendChild(text('pre', 'forum-dev-explain-sql', String(entry.query)));
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
