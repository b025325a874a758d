// Identity in forum-dev's GraphiQL page: the dev identity panel (watch mode with a JWT secret)
// asks the dev server to sign a JWT for a role of the database and puts it in GraphiQL's header
// editor; a JWT found in a result can be put there the same way (graphiql.js offers it).
(function () {
  'use strict';

  // Kept outside the component so the form survives hiding and showing the panel.
  var draft = { role: '', claims: '{\n  \n}' };

  function authorizationInto(headerEditor, value) {
    var text = headerEditor.getValue();
    var headers = {};
    if (text.trim()) {
      headers = JSON.parse(text);
      if (!headers || typeof headers !== 'object' || Array.isArray(headers)) {
        throw new Error('the header editor must hold a JSON object');
      }
    }
    Object.keys(headers).forEach(function (k) {
      if (k.toLowerCase() === 'authorization') delete headers[k];
    });
    if (value) headers.Authorization = value;
    headerEditor.setValue(JSON.stringify(headers, null, 2));
  }

  function showHeadersTab() {
    var tab = document.querySelector('.graphiql-editor-tools button[data-name="headers"]');
    if (tab && !tab.classList.contains('active')) tab.click();
  }

  function parseClaims(text) {
    if (!text.trim()) return {};
    var value = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('claims must be a JSON object');
    return value;
  }

  function requestToken(url, role, claims) {
    var body = { claims: claims };
    if (role) body.role = role;
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.text().then(function (text) {
        var json = null;
        try {
          json = JSON.parse(text);
        } catch (e) {
          // fall through to the status error below
        }
        if (res.ok && json && typeof json.token === 'string') return json.token;
        var message =
          (json && json.error && (json.error.message || json.error)) ||
          (json && json.errors && json.errors[0] && json.errors[0].message) ||
          'HTTP ' + res.status;
        throw new Error(String(message));
      });
    });
  }

  // A JWT in a result (e.g. the jwt_token `authenticate` returns), offered as the identity.
  var JWT = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/;

  function isJwt(value) {
    if (typeof value !== 'string' || !JWT.test(value)) return false;
    try {
      var header = JSON.parse(atob(value.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')));
      return !!header && typeof header.alg === 'string';
    } catch (e) {
      return false;
    }
  }

  /** The first JWT in `value` and where it is (`authenticate.jwtToken`), or null. */
  function findJwt(value, path) {
    path = path || [];
    if (isJwt(value)) return { token: value, path: path.join('.') };
    if (!value || typeof value !== 'object') return null;
    var keys = Object.keys(value);
    for (var i = 0; i < keys.length; i++) {
      var found = findJwt(value[keys[i]], path.concat(Array.isArray(value) ? [] : [keys[i]]));
      if (found) return found;
    }
    return null;
  }

  /**
   * When `body` holds a JWT, a notice (through `toast`) offers it as the Authorization header
   * of the current tab, in one click. Returns what was found, or null.
   */
  function offerToken(body, editors, toast) {
    var found = body && body.data ? findJwt(body.data) : null;
    if (!found) return null;
    toast('The result holds a JWT (' + found.path + ').', {
      key: 'jwt',
      sticky: true,
      action: {
        label: 'Use this token',
        run: function () {
          var e = editors();
          if (!e) return false;
          try {
            authorizationInto(e.headerEditor, 'Bearer ' + found.token);
          } catch (err) {
            toast('Could not set the Authorization header: ' + err.message);
            return false;
          }
          showHeadersTab();
          toast('Requests now send the token from ' + found.path + ' (Headers tab).');
          return true;
        },
      },
    });
    return found;
  }

  function loadRoles(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (res) {
      return res.json().then(function (json) {
        if (res.ok && json && Array.isArray(json.roles)) return json.roles;
        throw new Error((json && json.error && json.error.message) || 'HTTP ' + res.status);
      });
    });
  }

  // The roles are asked for once per page: they change with GRANTs, rarely while one works.
  var roles = null;

  window.ForumDevIdentity = function (config, h, React, GraphiQL) {
    function IdentityIcon(props) {
      return h(
        'svg',
        Object.assign({ viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5 }, props),
        h('circle', { cx: 12, cy: 8, r: 4 }),
        h('path', { d: 'M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7', strokeLinecap: 'round' })
      );
    }

    function IdentityPanel() {
      var editors = GraphiQL.React.useEditorContext({ nonNull: true });
      var roleState = React.useState(draft.role);
      var claimsState = React.useState(draft.claims);
      var statusState = React.useState(null);
      var busyState = React.useState(false);
      var setStatus = statusState[1];
      var setBusy = busyState[1];
      var rolesState = React.useState(roles);
      React.useEffect(function () {
        if (roles) return;
        loadRoles(config.devTokenRoute).then(
          function (list) {
            roles = { list: list };
            rolesState[1](roles);
          },
          function (err) {
            roles = { list: [], error: err.message };
            rolesState[1](roles);
          }
        );
      }, []);
      function pickRole(name) {
        draft.role = name;
        roleState[1](name);
      }

      function setRole(e) {
        draft.role = e.target.value;
        roleState[1](draft.role);
      }
      function setClaims(e) {
        draft.claims = e.target.value;
        claimsState[1](draft.claims);
      }
      function apply(value, message) {
        try {
          authorizationInto(editors.headerEditor, value);
          showHeadersTab();
          setStatus({ ok: true, text: message });
        } catch (err) {
          setStatus({ ok: false, text: err.message });
        }
      }
      function submit(e) {
        e.preventDefault();
        var claims;
        try {
          claims = parseClaims(claimsState[0]);
        } catch (err) {
          setStatus({ ok: false, text: 'Claims: ' + err.message });
          return;
        }
        var role = roleState[0].trim();
        setBusy(true);
        requestToken(config.devTokenRoute, role, claims).then(
          function (token) {
            setBusy(false);
            apply('Bearer ' + token, 'Requests now run as ' + (role || 'the default role') + '.');
          },
          function (err) {
            setBusy(false);
            setStatus({ ok: false, text: 'Could not get a token: ' + err.message });
          }
        );
      }
      function clearIdentity() {
        apply(null, 'Authorization header removed.');
      }

      var status = statusState[0];
      return h(
        'form',
        { className: 'forum-dev-identity', onSubmit: submit },
        h('div', { className: 'graphiql-doc-explorer-title' }, 'Dev identity'),
        h(
          'p',
          { className: 'forum-dev-identity-help' },
          'Sign a development JWT and send it as the Authorization header of the current tab.'
        ),
        h('label', { htmlFor: 'forum-dev-role' }, 'Role'),
        h('input', {
          id: 'forum-dev-role',
          name: 'role',
          type: 'text',
          value: roleState[0],
          onChange: setRole,
          placeholder: 'empty: the default role',
          spellCheck: false,
          autoComplete: 'off',
        }),
        h(
          'div',
          { className: 'forum-dev-roles', role: 'group', 'aria-label': 'Roles of the database' },
          !rolesState[0]
            ? h('span', { className: 'forum-dev-roles-note' }, 'Loading the roles…')
            : rolesState[0].error
              ? h('span', { className: 'forum-dev-roles-note' }, 'Could not list the roles: ' + rolesState[0].error)
              : [h('button', {
                  key: '', type: 'button', className: 'forum-dev-role-choice' + (roleState[0] === '' ? ' active' : ''),
                  onClick: function () { pickRole(''); }, title: 'No role claim: requests run as the default role',
                }, 'default role')].concat(rolesState[0].list.map(function (name) {
                  return h('button', {
                    key: name, type: 'button', className: 'forum-dev-role-choice' + (roleState[0] === name ? ' active' : ''),
                    onClick: function () { pickRole(name); },
                    title: name,
                  }, name);
                }))
        ),
        h('label', { htmlFor: 'forum-dev-claims' }, 'Claims (JSON)'),
        h('textarea', {
          id: 'forum-dev-claims',
          name: 'claims',
          rows: 6,
          value: claimsState[0],
          onChange: setClaims,
          placeholder: '{"person_id": 1}',
          spellCheck: false,
        }),
        h(
          'div',
          { className: 'forum-dev-identity-actions' },
          h('button', { type: 'submit', className: 'forum-dev-primary', disabled: busyState[0] }, 'Use this identity'),
          h('button', { type: 'button', onClick: clearIdentity }, 'Clear')
        ),
        status &&
          h('p', { className: status.ok ? 'forum-dev-identity-ok' : 'forum-dev-identity-error', role: 'status' }, status.text)
      );
    }

    return { title: 'Dev identity', icon: IdentityIcon, content: IdentityPanel };
  };
  window.ForumDevIdentity.offerToken = offerToken;
})();
