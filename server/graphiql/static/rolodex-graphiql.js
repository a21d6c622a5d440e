// Rolodex's GraphiQL page: sign-in, the token kept for this tab only, the example
// operations (as tabs and as a sidebar plugin) and the Explorer plugin.
// Plain browser JavaScript over the UMD globals React, ReactDOM, GraphiQL and
// GraphiQLPluginExplorer: nothing to build.
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('rolodex-graphiql-config').textContent);
  // The page is served by the GraphQL endpoint itself, wherever a proxy mounts it.
  const endpoint = window.location.pathname;
  const ACCEPT = 'application/graphql-response+json, application/json;q=0.9';
  // sessionStorage: the token lives as long as this tab, never in localStorage.
  const TOKEN_KEY = 'rolodex.token';
  const h = React.createElement;

  const LOGIN =
    'mutation SignIn($input: LoginInput!) { login(input: $input) { token userErrors { code message } } }';
  const WHO = 'query SignedInAs { me { name role } company { name } }';
  const LOGOUT = 'mutation SignOut { logout { revoked } }';

  function storedToken() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function storeToken(token) {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  async function send(body, headers) {
    let response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: ACCEPT, ...headers },
        body: JSON.stringify(body),
      });
    } catch (error) {
      return { errors: [{ message: 'The server did not answer: ' + error.message }] };
    }
    try {
      return await response.json();
    } catch (error) {
      return { errors: [{ message: 'HTTP ' + response.status + ': the answer is not JSON' }] };
    }
  }

  function bearer(token) {
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  // GraphiQL's fetcher: the signed-in token, unless the Headers tab names Authorization.
  // Signed out, the schema is not asked for (the server answers introspection to signed-in
  // callers only: a 401 in the console); signing in renders GraphiQL with a new fetcher,
  // which makes it fetch the schema again.
  function fetcher(params, options) {
    const headers = (options && options.headers) || {};
    const named = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
    const token = storedToken();
    if (!named && !token && params.operationName === 'IntrospectionQuery') {
      return Promise.resolve({
        errors: [{ message: 'Sign in (above) to load the schema.', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    return send(params, named ? headers : { ...bearer(token), ...headers });
  }

  // --- Sign-in bar --------------------------------------------------------------------
  const form = document.getElementById('rolodex-sign-in');
  const signedIn = document.getElementById('rolodex-signed-in');
  const status = form.querySelector('.rolodex-error');

  function showSignedIn(me, company) {
    signedIn.querySelector('.rolodex-staff-name').textContent = me.name;
    signedIn.querySelector('.rolodex-company').textContent = '(' + me.role + ', ' + company.name + ')';
    form.hidden = true;
    signedIn.hidden = false;
  }

  function showSignedOut(message) {
    status.textContent = message || '';
    signedIn.hidden = true;
    form.hidden = false;
  }

  async function showWhoIsSignedIn() {
    const token = storedToken();
    if (!token) return showSignedOut();
    const body = await send({ query: WHO, operationName: 'SignedInAs' }, bearer(token));
    if (body.data && body.data.me) return showSignedIn(body.data.me, body.data.company);
    storeToken(null);
    showSignedOut('Your session has ended: sign in again.');
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    status.textContent = 'Signing in…';
    const input = { email: fields.get('email'), password: fields.get('password') };
    const body = await send({ query: LOGIN, operationName: 'SignIn', variables: { input } }, {});
    const payload = body.data && body.data.login;
    if (payload && payload.token) {
      storeToken(payload.token);
      form.reset();
      status.textContent = '';
      renderGraphiQL();
      await showWhoIsSignedIn();
      return;
    }
    const problem = (payload && payload.userErrors[0]) || (body.errors && body.errors[0]);
    status.textContent = problem ? problem.message : 'Sign-in failed.';
  });

  signedIn.querySelector('.rolodex-sign-out').addEventListener('click', async () => {
    const token = storedToken();
    storeToken(null);
    showSignedOut();
    // Revokes the token on the server too, not only in this tab.
    if (token) await send({ query: LOGOUT, operationName: 'SignOut' }, bearer(token));
  });

  // --- Examples -------------------------------------------------------------------------
  function pad(number) {
    return String(number).padStart(2, '0');
  }

  // This month's first midnight in the browser's time zone, as a DateTime with offset.
  // A Date (YYYY-MM-DD): day ranges are days, counted in the company's time zone.
  function startOfMonth() {
    const now = new Date();
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-01`;
  }

  function exampleVariables(example) {
    const variables = { ...example.variables };
    if (example.monthStartVariable) variables[example.monthStartVariable] = startOfMonth();
    return JSON.stringify(variables, null, 2);
  }

  function openExample(editor, example) {
    editor.addTab();
    // The new tab's editors are filled once React has switched to it.
    setTimeout(() => {
      editor.queryEditor.setValue(example.query);
      editor.variableEditor.setValue(exampleVariables(example));
    }, 0);
  }

  function ExamplesPanel() {
    const editor = GraphiQL.React.useEditorContext({ nonNull: true });
    return h(
      'section',
      { className: 'rolodex-examples' },
      h('div', { className: 'graphiql-doc-explorer-title' }, 'Examples'),
      h('p', null, 'Common questions, each opened in a new tab.'),
      h(
        'ul',
        null,
        config.examples.map((example) =>
          h(
            'li',
            { key: example.name },
            h(
              'button',
              {
                type: 'button',
                className: 'graphiql-un-styled rolodex-example',
                onClick: () => openExample(editor, example),
              },
              example.name,
            ),
          ),
        ),
      ),
    );
  }

  function ExamplesIcon() {
    return h(
      'svg',
      { viewBox: '0 0 24 24', width: 24, height: 24, fill: 'none', stroke: 'currentColor', strokeWidth: 1.5 },
      h('path', { d: 'M5 4h10l4 4v12H5z M15 4v4h4 M8 12h8 M8 16h6' }),
    );
  }

  const examplesPlugin = { title: 'Examples', icon: ExamplesIcon, content: ExamplesPanel };

  const tabs = config.examples.map((example) => ({
    query: example.query,
    variables: exampleVariables(example),
  }));
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  // GraphiQL introspects again whenever its fetcher changes: a new one after sign-in.
  function renderGraphiQL() {
    root.render(graphiQL((params, options) => fetcher(params, options)));
  }
  // GraphiQL 3 opens `defaultTabs` (on a first visit: nothing stored yet) but leaves the
  // first tab's variables editor empty; `variables` fills it, and only then: a later
  // visit restores the stored tabs, which a `variables` prop would add to every time.
  function graphiQL(currentFetcher) {
    const firstVisit = localStorage.getItem('graphiql:tabState') === null;
    return h(GraphiQL, {
      fetcher: currentFetcher,
      plugins: [examplesPlugin, GraphiQLPluginExplorer.explorerPlugin()],
      defaultTabs: tabs,
      ...(firstVisit ? { variables: tabs[0].variables } : {}),
      defaultEditorToolsVisibility: 'variables',
      shouldPersistHeaders: false,
    });
  }
  renderGraphiQL();
  showWhoIsSignedIn();
})();
