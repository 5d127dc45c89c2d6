/*
 * position-sync dashboard: polls the HTTP API and renders sync status, portfolio summary and
 * positions; refreshes at once on every committed run the event stream (api/events) announces.
 * Plain DOM (textContent / createElement only): no data ever goes through innerHTML.
 */
(function () {
  'use strict';

  // --- Tunables -------------------------------------------------------------------------
  /** How often the dashboard polls the API: 5 s, or the page address's ?poll=SECONDS (1 to 3600). */
  var POLL_INTERVAL_MS = pollIntervalFromAddress(5000);
  /** After the event stream failed, the next try waits this long, doubling up to the max. */
  var STREAM_RETRY_MS = 5000;
  var STREAM_RETRY_MAX_MS = 60000;
  /** How often a manual run that answered 202 is polled until it finishes. */
  var RUN_POLL_INTERVAL_MS = 1000;
  /** Give up following a manual run after this long (the regular poll still shows it). */
  var RUN_POLL_TIMEOUT_MS = 5 * 60 * 1000;
  /** A request that takes longer than this counts as "API unreachable". */
  var FETCH_TIMEOUT_MS = 10000;
  /** The age display ticks this often between polls. */
  var TICK_INTERVAL_MS = 1000;
  /** Used only until the status response says otherwise. */
  var DEFAULT_STALENESS = { amberSeconds: 180, redSeconds: 600 };
  var OPEN_POSITIONS_LIMIT = 200;
  var CLOSED_POSITIONS_LIMIT = 20;
  var RUNS_LIMIT = 10;
  var RESOLVED_BREAKS_LIMIT = 10;
  var TOKEN_STORAGE_KEY = 'position-sync.apiToken';
  /** While the API fails, the wait between polls doubles up to this. */
  var MAX_BACKOFF_MS = 60000;
  /** The P&L chart changes slowly: it is fetched again every this many polls. */
  var PNL_EVERY_POLLS = 12;
  var CHART_HEIGHT = 260;

  var API = {
    status: 'api/sync/status',
    syncPositions: 'api/sync/positions',
    runs: 'api/sync/runs?limit=' + RUNS_LIMIT,
    summary: 'api/portfolio/summary',
    positions: 'api/positions',
    positionsCsv: 'api/positions.csv',
    closedPositions: 'api/positions?status=closed&order=closed&limit=' + CLOSED_POSITIONS_LIMIT,
    resolvedBreaks: 'api/breaks?status=resolved&limit=' + RESOLVED_BREAKS_LIMIT,
    dailyPnl: 'api/pnl/daily',
    events: 'api/events',
    history: function (id) { return 'api/positions/' + encodeURIComponent(id) + '/history'; }
  };

  var DASH = '\u2013';

  // --- State ----------------------------------------------------------------------------
  var state = {
    staleness: DEFAULT_STALENESS,
    // Age of the last successful sync as reported by the server, plus the monotonic time we
    // received it: the client clock may be off, elapsed time on it is not.
    ageAtReceipt: null,
    receivedAtMs: 0,
    lastSuccessfulSyncAt: null,
    lastRendered: {},
    statusKnown: false,
    databaseAvailable: true,
    timerEnabled: true,
    gatewayState: null,
    syncing: false,
    memoryToken: null,
    pollDelayMs: POLL_INTERVAL_MS,
    pollTimer: null,
    polls: 0,
    pnlPlot: null,
    pnlData: null,
    pnlCurrencyChosen: false,
    demoHistory: null,
    // The event stream: null while none is open or opening; its kind ('eventsource', or 'fetch' when the
    // token must go in a header) and how to close it.
    stream: null,
    streamRetryMs: STREAM_RETRY_MS,
    streamRetryTimer: null,
    streamEverOpened: false,
    eventRefreshes: 0,
    refreshing: false,
    refreshAgain: false
  };

  function pollIntervalFromAddress(fallback) {
    var match = /[?&]poll=(\d{1,4})(?:&|$)/.exec(window.location.search);
    var seconds = match ? Number(match[1]) : 0;
    return seconds >= 1 && seconds <= 3600 ? seconds * 1000 : fallback;
  }

  // --- Small helpers --------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function apiUrl(path) {
    // Relative to the page, so the dashboard also works behind a path prefix.
    return new URL(path, document.baseURI).toString();
  }

  function el(tag, opts, children) {
    var node = document.createElement(tag);
    if (opts) {
      if (opts.className) { node.className = opts.className; }
      if (opts.text !== undefined && opts.text !== null) { node.textContent = String(opts.text); }
      if (opts.title) { node.title = opts.title; }
      if (opts.attrs) {
        Object.keys(opts.attrs).forEach(function (k) { node.setAttribute(k, opts.attrs[k]); });
      }
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function setText(id, text) {
    var node = $(id);
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  /** Re-render only when the data changed: keeps selections and screen readers calm. */
  function changed(key, data) {
    var json = JSON.stringify(data);
    if (state.lastRendered[key] === json) { return false; }
    state.lastRendered[key] = json;
    return true;
  }

  // --- Decimal formatting (string based: no float rounding in what is shown) ------------
  var PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

  function parseDecimal(value) {
    if (value === null || value === undefined) { return null; }
    var s = String(value).trim();
    var m = PLAIN_DECIMAL.exec(s);
    if (m && (m[2] || m[3])) {
      return { neg: m[1] === '-', int: (m[2] || '0').replace(/^0+(?=\d)/, ''), frac: m[3] || '' };
    }
    // Scientific notation (e.g. "1E+2") is rare; going through a number is acceptable there.
    var n = Number(s);
    if (s === '' || !isFinite(n)) { return null; }
    var fixed = Math.abs(n).toFixed(10).split('.');
    return { neg: n < 0, int: fixed[0], frac: fixed[1].replace(/0+$/, '') };
  }

  /** Adds one unit in the last place to a string of digits ("099" -> "100", "99" -> "100"). */
  function incrementDigits(digits) {
    var out = digits.split('');
    var i = out.length - 1;
    while (i >= 0) {
      if (out[i] === '9') { out[i] = '0'; i--; } else { out[i] = String(Number(out[i]) + 1); return out.join(''); }
    }
    return '1' + out.join('');
  }

  /** Rounds half away from zero to at most maxFrac digits, pads to minFrac. */
  function roundParts(p, minFrac, maxFrac) {
    var intPart = p.int;
    var frac = p.frac;
    if (frac.length > maxFrac) {
      var roundUp = frac.charAt(maxFrac) >= '5';
      frac = frac.substring(0, maxFrac);
      if (roundUp) {
        var combined = incrementDigits(intPart + frac);
        intPart = combined.substring(0, combined.length - frac.length) || '0';
        frac = combined.substring(combined.length - frac.length);
      }
    }
    // Trim optional trailing zeros beyond minFrac.
    while (frac.length > minFrac && frac.charAt(frac.length - 1) === '0') { frac = frac.substring(0, frac.length - 1); }
    while (frac.length < minFrac) { frac += '0'; }
    var isZero = /^0*$/.test(intPart) && /^0*$/.test(frac);
    return { neg: p.neg && !isZero, int: intPart, frac: frac };
  }

  function groupThousands(intDigits) {
    return intDigits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  function formatDecimal(value, minFrac, maxFrac) {
    var p = parseDecimal(value);
    if (!p) { return value === null || value === undefined ? DASH : String(value); }
    var r = roundParts(p, minFrac, maxFrac);
    return (r.neg ? '-' : '') + groupThousands(r.int) + (r.frac ? '.' + r.frac : '');
  }

  function formatMoney(value) { return formatDecimal(value, 2, 2); }
  function formatPrice(value) { return formatDecimal(value, 2, 6); }
  function formatQuantity(value) { return formatDecimal(value, 0, 8); }

  /** -1, 0 or 1; only used for colouring. */
  function signOf(value) {
    var p = parseDecimal(value);
    if (!p) { return 0; }
    if (/^0*$/.test(p.int) && /^0*$/.test(p.frac)) { return 0; }
    return p.neg ? -1 : 1;
  }

  /** "0.6667" -> "66.7%" by moving the decimal point, not by multiplying a float. */
  function formatRatioAsPercent(value) {
    var p = parseDecimal(value);
    if (!p) { return null; }
    var frac = p.frac + '00';
    var shifted = { neg: p.neg, int: (p.int + frac.substring(0, 2)).replace(/^0+(?=\d)/, ''), frac: frac.substring(2) };
    var r = roundParts(shifted, 0, 1);
    return (r.neg ? '-' : '') + r.int + (r.frac ? '.' + r.frac : '') + '%';
  }

  /** Sign of what is shown, so "-0.004" displayed as "0.00" is not coloured as a loss. */
  function displayedSign(text) { return signOf(text.replace(/,/g, '')); }

  function moneyNode(value, tag) {
    var text = formatMoney(value);
    var sign = displayedSign(text);
    var cls = 'money' + (sign < 0 ? ' neg' : sign > 0 ? ' pos' : '');
    return el(tag || 'span', { className: cls, text: text });
  }

  // Amounts of different currencies are never added: one figure per currency, each with its currency
  // ("USD 1.00" / "EUR 2.00", one per line).
  function moneyByCurrencyNode(figures, field, tag) {
    var list = figures.byCurrency || [];
    var node = el(tag || 'span', { className: 'money-list' });
    if (list.length === 0) {
      node.appendChild(figures[field] === null || figures[field] === undefined ?
        el('span', { className: 'muted', text: DASH }) : moneyNode(figures[field]));
      return node;
    }
    list.forEach(function (c) {
      node.appendChild(el('span', { className: 'money-list__item', attrs: { 'data-currency': c.currency } },
        [c.currency + ' ', moneyNode(c[field])]));
    });
    return node;
  }

  function setMoneyByCurrency(id, figures, field) {
    var node = $(id);
    clear(node);
    node.appendChild(moneyByCurrencyNode(figures, field));
  }

  // --- Time formatting ------------------------------------------------------------------
  function pad2(n) { return (n < 10 ? '0' : '') + n; }

  function formatTime(iso) {
    if (!iso) { return DASH; }
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return String(iso); }
    return d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) + ' ' +
      pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds()) + ' UTC';
  }

  /** Compact time for table cells (the page states that times are UTC); full ISO in the tooltip. */
  function timeNode(iso) {
    var text = formatTime(iso).replace(/ UTC$/, '');
    var node = el('time', { text: text });
    if (iso) {
      node.setAttribute('datetime', String(iso));
      node.title = String(iso);
    }
    return node;
  }

  function formatAge(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    if (s < 60) { return s + ' s ago'; }
    var min = Math.floor(s / 60);
    if (min < 60) { return min + ' min ago'; }
    var h = Math.floor(min / 60);
    if (h < 24) { return h + ' h ' + (min % 60) + ' min ago'; }
    var days = Math.floor(h / 24);
    return days + ' d ' + (h % 24) + ' h ago';
  }

  function formatDuration(startIso, endIso) {
    if (!startIso || !endIso) { return DASH; }
    var ms = new Date(endIso).getTime() - new Date(startIso).getTime();
    if (!isFinite(ms) || ms < 0) { return DASH; }
    if (ms < 1000) { return ms + ' ms'; }
    return (ms / 1000).toFixed(1) + ' s';
  }

  // --- HTTP -----------------------------------------------------------------------------
  /** Error carrying the HTTP status (0 = network failure or timeout). */
  function ApiError(message, status) {
    this.message = message;
    this.status = status;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.name = 'ApiError';

  function request(path, options) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, FETCH_TIMEOUT_MS) : null;
    var init = Object.assign({ cache: 'no-store', credentials: 'same-origin' }, options || {});
    init.headers = Object.assign({ Accept: 'application/json' }, (options && options.headers) || {});
    if (controller) { init.signal = controller.signal; }
    return fetch(apiUrl(path), init).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        if (text) {
          try { body = JSON.parse(text); } catch (e) { body = null; }
        }
        if (!response.ok) {
          var msg = body && typeof body.error === 'string' ? body.error : (response.statusText || 'request failed');
          throw new ApiError(msg, response.status);
        }
        return { status: response.status, body: body };
      });
    }, function () {
      throw new ApiError('API unreachable', 0);
    }).finally(function () {
      if (timer) { clearTimeout(timer); }
    });
  }

  // Off loopback the service wants the token for reads too: send it when this tab has one, and ask for it
  // once when a read is refused.
  function getJson(path) {
    var token = loadToken();
    var options = token ? { headers: { Authorization: 'Bearer ' + token } } : undefined;
    return request(path, options).then(function (r) {
      if (!r.body || typeof r.body !== 'object') { throw new ApiError('empty or invalid JSON response', r.status); }
      return r.body;
    }, function (err) {
      if (err.status === 401 && !state.readTokenAsked) {
        state.readTokenAsked = true;
        state.tokenForReads = true;
        askForToken('This service needs the API token to show its figures. Enter it (kept in this tab only).', !!token);
      }
      throw err;
    });
  }

  // --- Staleness indicator ----------------------------------------------------------------
  function currentAgeSeconds() {
    if (state.ageAtReceipt !== null) {
      return state.ageAtReceipt + (performance.now() - state.receivedAtMs) / 1000;
    }
    if (state.lastSuccessfulSyncAt) {
      var t = new Date(state.lastSuccessfulSyncAt).getTime();
      if (isFinite(t)) { return (Date.now() - t) / 1000; }
    }
    return null;
  }

  function renderLastSynced() {
    var node = $('last-synced');
    if (!state.statusKnown) { return; }
    var age = currentAgeSeconds();
    var level;
    var cue;
    if (!state.databaseAvailable) {
      // The last success lives in the database: unknown, not "never".
      level = 'unknown';
      cue = 'Unknown: the database is unavailable';
      setText('last-synced-age', 'unknown');
    } else if (state.demoHistory) {
      // The demo plays back its last trading days: its runs are dated those days, which is not staleness.
      level = 'building';
      cue = 'Building the demo\'s history: day ' + state.demoHistory.day + ' of ' + state.demoHistory.days +
        ' (' + state.demoHistory.date + ')';
      setText('last-synced-age', age === null ? 'not yet' : 'replaying ' + state.demoHistory.date);
    } else if (age === null) {
      level = 'red';
      cue = 'No successful sync yet';
      setText('last-synced-age', 'never');
    } else {
      setText('last-synced-age', formatAge(age));
      if (age > state.staleness.redSeconds) {
        level = 'red';
        cue = 'Stale: older than ' + formatSpan(state.staleness.redSeconds);
      } else if (age > state.staleness.amberSeconds) {
        level = 'amber';
        cue = 'Getting stale: older than ' + formatSpan(state.staleness.amberSeconds);
      } else if (state.gatewayState !== 'UP' && !state.timerEnabled) {
        // Nothing keeps the figures current: the last sync was recent, that is all.
        level = 'amber';
        cue = 'Periodic sync is off: recent, but not kept up to date';
      } else if (state.gatewayState !== 'UP') {
        level = 'amber';
        cue = 'Recent, but the gateway is ' + state.gatewayState + ': not up to date';
      } else {
        level = 'fresh';
        cue = 'Up to date';
      }
    }
    ['fresh', 'amber', 'red'].forEach(function (c) { node.classList.toggle(c, c === level); });
    node.setAttribute('data-level', level);
    setText('last-synced-cue', cue);
    setText('last-synced-at', state.lastSuccessfulSyncAt ? 'at ' + formatTime(state.lastSuccessfulSyncAt) : '');
  }

  function formatSpan(seconds) {
    if (seconds % 60 === 0 && seconds >= 60) { return (seconds / 60) + ' min'; }
    return seconds + ' s';
  }

  // --- Status -----------------------------------------------------------------------------
  function runCounts(run) {
    return (run.opened || 0) + ' opened, ' + (run.updated || 0) + ' updated, ' +
      (run.closed || 0) + ' closed, ' + (run.unchanged || 0) + ' unchanged';
  }

  /** One line, e.g. "Run 12 SUCCEEDED: 1 opened, 2 updated, 0 closed, 5 unchanged". */
  function describeRun(run) {
    var head = 'Run ' + run.runId + ' ' + run.status;
    if (run.status === 'SUCCEEDED') { return head + ': ' + runCounts(run); }
    if (run.status === 'RUNNING') { return head + '\u2026'; }
    if (run.status === 'SKIPPED_INCOMPLETE') {
      return head + ': ' + (run.error || 'broker snapshot incomplete') + ' (nothing changed)';
    }
    return head + (run.error ? ': ' + run.error : '');
  }

  // The gateway reports only this client's executions unless it is the Master API client ID.
  function renderExecutionsMissing(status) {
    var missing = status.executionsMissing || {};
    var banner = $('executions-banner');
    banner.hidden = !missing.active;
    if (missing.active) {
      setText('executions-banner-text', (missing.hint || 'Positions change but no execution explains them.') +
        ' (' + missing.consecutiveRuns + ' runs in a row, since ' + formatTime(missing.since) + ')');
    }
  }

  function renderStatus(status) {
    renderExecutionsMissing(status);
    state.staleness = {
      amberSeconds: numberOr(status.staleness && status.staleness.amberSeconds, DEFAULT_STALENESS.amberSeconds),
      redSeconds: numberOr(status.staleness && status.staleness.redSeconds, DEFAULT_STALENESS.redSeconds)
    };
    state.lastSuccessfulSyncAt = status.lastSuccessfulSyncAt || null;
    state.ageAtReceipt = typeof status.lastSuccessAgeSeconds === 'number' ? status.lastSuccessAgeSeconds : null;
    state.receivedAtMs = performance.now();
    state.statusKnown = true;
    state.databaseAvailable = !(status.database && status.database.available === false);
    state.timerEnabled = status.timerEnabled !== false;
    state.demoHistory = status.demoHistory && status.demoHistory.building ? status.demoHistory : null;
    renderLive(status.live);
    var gw = status.gateway || {};
    var gwState = gw.state || 'unknown';
    state.gatewayState = gwState;
    renderLastSynced();

    var gwNode = $('gateway-state');
    gwNode.textContent = gwState;
    gwNode.className = 'badge state-' + String(gwState).toLowerCase();
    setText('gateway-since', gw.since ? 'since ' + formatTime(gw.since) : '');

    var inFlight = $('in-flight');
    inFlight.textContent = status.inFlight ? 'yes, a run is in progress' : 'no';
    inFlight.classList.toggle('badge--busy', !!status.inFlight);

    var failNode = $('consecutive-failures');
    if (typeof status.consecutiveFailures === 'number') {
      failNode.textContent = String(status.consecutiveFailures);
      failNode.classList.toggle('error-text', status.consecutiveFailures > 0);
    } else {
      failNode.textContent = 'unknown';
      failNode.classList.remove('error-text');
    }

    var t = status.totals;
    setText('run-totals', t ? (t.runs + ' total: ' + t.succeeded + ' succeeded, ' + t.failed + ' failed, ' +
      t.skipped + ' skipped') : (state.databaseAvailable ? DASH : 'unknown'));

    var run = status.lastRun;
    var lastRun = $('last-run');
    if (!state.databaseAvailable) {
      lastRun.textContent = 'Unknown: the database is unavailable.';
      lastRun.className = 'run-unknown';
    } else if (!run) {
      lastRun.textContent = 'No run yet.';
      lastRun.className = '';
    } else {
      var line = 'Run ' + run.runId + ' ' + run.status + ' (' + run.trigger + ')';
      if (run.status !== 'RUNNING') { line += ': ' + runCounts(run); }
      line += run.finishedAt ? ', finished ' + formatTime(run.finishedAt) + ' in ' +
        formatDuration(run.startedAt, run.finishedAt) : ', started ' + formatTime(run.startedAt);
      lastRun.textContent = line;
      lastRun.className = 'run-' + String(run.status).toLowerCase();
    }
    var errNode = $('last-run-error');
    if (run && run.error) {
      errNode.textContent = 'Error: ' + run.error;
      errNode.hidden = false;
    } else {
      errNode.hidden = true;
    }

    renderBreaks(Array.isArray(status.openBreaks) ? status.openBreaks : null);
    renderGateways(Array.isArray(status.gateways) ? status.gateways : null);
    renderBanner();
  }

  // --- Gateways -----------------------------------------------------------------------------
  /** A gateway's freshness (FRESH, AMBER, RED, NEVER) as the levels and cues of the last-synced indicator. */
  var FRESHNESS = {
    FRESH: { level: 'fresh', cue: function () { return 'Up to date'; } },
    AMBER: { level: 'amber', cue: function () { return 'Getting stale: older than ' + formatSpan(state.staleness.amberSeconds); } },
    RED: { level: 'red', cue: function () { return 'Stale: older than ' + formatSpan(state.staleness.redSeconds); } },
    NEVER: { level: 'red', cue: function () { return 'No successful sync yet'; } }
  };

  /**
   * Every gateway the database knows, as any instance reads it: owner, live connection, last run, and its last
   * successful sync coloured as the last-synced indicator. {@code gateways} null: unknown (the database is unavailable).
   */
  function renderGateways(gateways) {
    if (!changed('gateways', [gateways, state.demoHistory ? state.demoHistory.date : null])) { return; }
    var tbody = $('gateways-table').tBodies[0];
    clear(tbody);
    $('gateways').setAttribute('data-known', gateways === null ? 'false' : 'true');
    if (gateways === null || gateways.length === 0) {
      setText('gateways-empty', gateways === null ? 'Gateways unknown: the database is unavailable.' : 'No gateway has run yet.');
      $('gateways-empty').hidden = false;
      $('gateways-table-wrap').hidden = true;
      return;
    }
    $('gateways-empty').hidden = true;
    $('gateways-table-wrap').hidden = false;
    gateways.forEach(function (g) { tbody.appendChild(gatewayRow(g)); });
  }

  function gatewayRow(g) {
    var owner = g.owner ? el('td', { text: g.owner, title: 'epoch ' + g.epoch + ', owner since ' + formatTime(g.ownedSince) })
      : el('td', {}, [el('span', { className: 'muted', text: 'none recorded' })]);
    var live = el('td', { className: 'gateway-live', attrs: { 'data-live': g.liveSince ? 'true' : 'false' } },
      [g.liveSince ? 'Live since ' + formatTime(g.liveSince) : 'Not live']);
    var run = g.lastRun;
    var lastRun = el('td', { className: 'gateway-last-run' }, run ? [
      el('span', { className: 'badge run-' + String(run.status).toLowerCase(), text: run.status }), ' ',
      run.finishedAt ? timeNode(run.finishedAt) : el('span', {}, ['started ', timeNode(run.startedAt)]),
      g.consecutiveFailures > 0 ? el('span', { className: 'error-text', text: ' (' + g.consecutiveFailures +
        ' failed in a row)' }) : null
    ] : [el('span', { className: 'muted', text: 'No run yet' })]);
    return el('tr', { attrs: { 'data-gateway': g.name, 'data-freshness': String(g.freshness) } }, [
      el('th', { text: g.name, attrs: { scope: 'row' } }), owner, live, lastRun, freshnessCell(g)
    ]);
  }

  /** The age of the gateway's last successful sync, coloured; the demo's history is no staleness (as above). */
  function freshnessCell(g) {
    var known = FRESHNESS[g.freshness] || { level: 'unknown', cue: function () { return String(g.freshness); } };
    var level = known.level;
    var cue = known.cue();
    var age = typeof g.lastSuccessAgeSeconds === 'number' ? formatAge(g.lastSuccessAgeSeconds) : 'never';
    if (state.demoHistory && g.name === 'default') {
      level = 'building';
      cue = 'Building the demo\'s history';
      age = 'replaying ' + state.demoHistory.date;
    }
    var cell = el('td', { className: 'freshness ' + level, attrs: { 'data-level': level } }, [
      el('span', { className: 'freshness__age', text: age }), ' ',
      el('span', { className: 'freshness__cue', text: cue })
    ]);
    if (g.lastSuccessfulSyncAt) { cell.title = 'at ' + formatTime(g.lastSuccessfulSyncAt); }
    return cell;
  }

  /** "Live since <time>" while the gateway's live subscriptions are in place, else "Not live". */
  function renderLive(live) {
    var since = live && live.since ? live.since : null;
    setText('live-state', since ? 'Live since ' + formatTime(since) : 'Not live');
    $('live-state').setAttribute('data-live', since ? 'true' : 'false');
  }

  function numberOr(value, fallback) {
    return typeof value === 'number' && isFinite(value) ? value : fallback;
  }

  /** {@code breaks} null: unknown (the database is unavailable), which is not the same as none. */
  function renderBreaks(breaks) {
    if (!changed('breaks', breaks)) { return; }
    var section = $('breaks');
    var tbody = $('breaks-table').tBodies[0];
    clear(tbody);
    section.setAttribute('data-known', breaks === null ? 'false' : 'true');
    if (breaks === null) {
      section.classList.remove('has-breaks');
      setText('breaks-empty', 'Open breaks unknown: the database is unavailable.');
      $('breaks-empty').hidden = false;
      $('breaks-table-wrap').hidden = true;
      return;
    }
    setText('breaks-empty', 'No open breaks: our ledger matches the broker.');
    section.classList.toggle('has-breaks', breaks.length > 0);
    $('breaks-empty').hidden = breaks.length > 0;
    $('breaks-table-wrap').hidden = breaks.length === 0;
    breaks.forEach(function (b) { tbody.appendChild(breakRow(b, false)); });
  }

  /**
   * What a break's figures measure: a quantity (contracts, shares: never money), a price per unit, or money (in the
   * break's currency). Kinds without figures (commission pending, rate missing, a bot row) show their note instead.
   */
  var BREAK_UNITS = {
    UNEXPLAINED_QUANTITY: 'quantity',
    AVERAGE_MISMATCH: 'price',
    REALIZED_PNL_MISMATCH: 'money'
  };

  function breakUnit(b) { return BREAK_UNITS[b.kind] || 'money'; }

  /** An amount of a break in its unit; a missing side is shown as missing, not as 0. */
  function breakAmount(b, value) {
    var unit = breakUnit(b);
    var cell = el('td', { className: 'num', attrs: { 'data-unit': unit } });
    if (value === null || value === undefined) {
      cell.appendChild(el('span', { className: 'muted', text: DASH }));
    } else if (unit === 'quantity') {
      cell.appendChild(el('span', { className: 'quantity', text: formatQuantity(value) }));
    } else {
      cell.appendChild(el('span', { className: 'money', text: (b.currency ? b.currency + ' ' : '') +
        (unit === 'price' ? formatPrice(value) : formatMoney(value)) }));
    }
    return cell;
  }

  function hasFigures(b) {
    return !(b.ours === null || b.ours === undefined) || !(b.broker === null || b.broker === undefined);
  }

  function breakRow(b, resolved) {
    var cells = [
      el('td', { text: b.kind || DASH, title: b.note || '' }),
      el('td', { text: b.account || DASH }),
      // conId 0: the break names no contract (a bot row's, an account two gateways report)
      el('td', b.conId === null || b.conId === undefined || b.conId === 0 ? { text: b.symbol || DASH } :
        { text: b.symbol || ('conId ' + b.conId), title: 'conId ' + b.conId })
    ];
    if (hasFigures(b)) {
      cells.push(breakAmount(b, b.ours), breakAmount(b, b.broker), breakAmount(b, b.difference));
    } else {
      // No figures to compare (a bot row no position matches, a commission still pending): the reason instead.
      cells.push(el('td', { className: 'break-note', text: b.note || DASH, attrs: { colspan: '3' } }));
    }
    cells.push(el('td', {}, ['run ' + b.runId + ', ', timeNode(b.detectedAt)]));
    if (resolved) {
      cells.push(el('td', {}, [(b.resolvedRunId ? 'run ' + b.resolvedRunId + ', ' : ''), timeNode(b.resolvedAt)]));
    }
    return el('tr', { className: 'break-row', attrs: { 'data-break-id': String(b.id), 'data-kind': String(b.kind),
      'data-unit': hasFigures(b) ? breakUnit(b) : 'note' } }, cells);
  }

  function renderResolvedBreaks(body) {
    var breaks = (body && body.breaks) || [];
    if (!changed('resolved', breaks)) { return; }
    var tbody = $('resolved-table').tBodies[0];
    clear(tbody);
    setText('resolved-empty', 'None resolved recently.');
    $('resolved-empty').hidden = breaks.length > 0;
    $('resolved-table-wrap').hidden = breaks.length === 0;
    breaks.forEach(function (b) { tbody.appendChild(breakRow(b, true)); });
  }

  function resolvedBreaksUnknown() {
    state.lastRendered.resolved = null;
    setText('resolved-empty', 'Recently resolved breaks unknown: they could not be read.');
    $('resolved-empty').hidden = false;
    $('resolved-table-wrap').hidden = true;
  }

  // --- Banner -----------------------------------------------------------------------------
  function renderBanner() {
    var fromDb = state.summarySource === 'DATABASE';
    var down = state.gatewayState === 'DOWN';
    var banner = $('db-banner');
    var noDatabase = state.statusKnown && !state.databaseAvailable;
    // While the demo builds its history the figures are those of the days it plays back, as the indicator says.
    if (state.demoHistory && !down && !noDatabase) { fromDb = false; }
    banner.hidden = !(fromDb || down || noDatabase);
    if (banner.hidden) { return; }
    if (noDatabase) {
      setText('db-banner-title', 'Database unavailable.');
      setText('db-banner-text', 'Runs, failures, breaks and positions cannot be read now; figures below are the ' +
        'last ones this page received, if any.' + (down ? ' Gateway state: DOWN.' : ''));
      return;
    }
    var asOf = state.summaryLastSyncedAt || state.lastSuccessfulSyncAt;
    var text = 'Figures below come from the database' +
      (asOf ? ' as of ' + formatTime(asOf) : ' (never synced with the broker)') + '.';
    var title = 'Figures not live.';
    if (down && !state.timerEnabled) {
      title = 'Periodic sync off.';
      text += ' The periodic sync is off: the gateway is contacted only by Sync now.';
    } else if (down) {
      title = 'Gateway unreachable.';
      text += ' Gateway state: DOWN.';
    }
    setText('db-banner-title', title);
    setText('db-banner-text', text);
  }

  // --- Summary ----------------------------------------------------------------------------
  function renderSummary(summary) {
    state.summarySource = summary.source || null;
    state.summaryLastSyncedAt = summary.lastSyncedAt || null;
    renderBanner();
    // Depends on the status too (timer on or off): set on every poll, not only when the summary changed.
    var sourceText = summary.source === 'LIVE' ? 'Live broker values' :
      summary.source === 'DATABASE' ? 'From the database (' + databaseReason(summary) + ')' : (summary.source || 'Unknown source');
    setText('summary-source', sourceText + ', last synced ' + formatTime(summary.lastSyncedAt) + '.');
    $('summary').setAttribute('data-source', summary.source || '');
    renderAccountOptions((summary.accounts || []).map(function (a) { return a.account; }));
    if (!changed('summary', summary)) { return; }

    var o = summary.overall || {};
    setMoneyByCurrency('summary-total-pnl', o, 'totalPnl');
    setMoneyByCurrency('summary-realized-pnl', o, 'realizedPnl');
    setMoneyByCurrency('summary-unrealized-pnl', o, 'unrealizedPnl');
    var pct = formatRatioAsPercent(o.winRate);
    var winNode = $('summary-win-rate');
    winNode.textContent = pct || 'n/a';
    winNode.title = summary.winRateDefinition || '';
    setText('summary-win-detail', pct ? (o.wins + ' of ' + o.closedWithPnl + ' closed') : 'no closed positions with P&L yet');
    setText('win-rate-definition', summary.winRateDefinition || DASH);
    setText('summary-open-count', String(numberOr(o.openCount, 0)));
    setText('summary-closed-count', String(numberOr(o.closedCount, 0)));

    var tbody = $('accounts-table').tBodies[0];
    clear(tbody);
    var accounts = summary.accounts || [];
    if (accounts.length === 0) {
      tbody.appendChild(emptyRow(8, 'No accounts yet.'));
    }
    accounts.forEach(function (a) {
      var rate = formatRatioAsPercent(a.winRate);
      tbody.appendChild(el('tr', { attrs: { 'data-account': a.account } }, [
        el('th', { text: a.account, attrs: { scope: 'row' } }),
        el('td', { className: 'num' }, [moneyByCurrencyNode(a, 'totalPnl')]),
        el('td', { className: 'num' }, [moneyByCurrencyNode(a, 'realizedPnl')]),
        el('td', { className: 'num' }, [moneyByCurrencyNode(a, 'unrealizedPnl')]),
        el('td', { className: 'num', text: rate || 'n/a', title: summary.winRateDefinition || '' }),
        el('td', { className: 'num', text: numberOr(a.wins, 0) + ' / ' + numberOr(a.closedWithPnl, 0) }),
        el('td', { className: 'num', text: numberOr(a.openCount, 0) }),
        el('td', { className: 'num', text: numberOr(a.closedCount, 0) })
      ]));
    });
  }

  /** Why the figures are the stored ones, as far as the page knows it; never a guess about the gateway. */
  function databaseReason(summary) {
    if (!state.timerEnabled && summary.gatewayState !== 'UP') { return 'periodic sync off'; }
    if (summary.gatewayState && summary.gatewayState !== 'UP') { return 'gateway ' + summary.gatewayState; }
    return summary.sourceReason || 'last stored figures';
  }

  function emptyRow(colspan, text) {
    return el('tr', { className: 'empty-row' }, [el('td', { text: text, attrs: { colspan: String(colspan) } })]);
  }

  // --- Positions --------------------------------------------------------------------------
  function pnlSourceNode(source) {
    if (source === 'MARKET_PRICE') {
      return el('span', {
        className: 'badge badge--estimate', text: 'estimate',
        title: 'Priced from the last market price: no execution explains this change'
      });
    }
    if (source === 'EXECUTIONS') {
      return el('span', { className: 'badge badge--exact', text: 'executions', title: 'Fully explained by executions' });
    }
    return el('span', { className: 'muted', text: DASH });
  }

  /** Realized P&L, with a visible "estimate" marker when it was priced from the market. */
  function realizedCell(p) {
    var cell = el('td', { className: 'num' });
    if (p.realizedPnl === null || p.realizedPnl === undefined) {
      cell.appendChild(el('span', { className: 'muted', text: DASH }));
      return cell;
    }
    cell.appendChild(moneyNode(p.realizedPnl));
    if (p.realizedPnlSource === 'MARKET_PRICE') {
      cell.appendChild(document.createTextNode(' '));
      cell.appendChild(pnlSourceNode('MARKET_PRICE'));
    }
    return cell;
  }

  function positionAttrs(p) {
    return { 'data-id': String(p.id), 'data-account': String(p.account), 'data-con-id': String(p.conId) };
  }

  /** The symbol opens the lifecycle's story (a button, so the keyboard reaches it too). */
  function symbolCell(p) {
    var button = el('button', { className: 'link-button', text: p.symbol, title: 'conId ' + p.conId +
      (p.multiplier && p.multiplier !== '1' ? ', multiplier ' + p.multiplier : '') + ': show its history',
      attrs: { type: 'button', 'data-history': String(p.id), 'aria-haspopup': 'dialog' } });
    return el('td', { className: 'symbol' }, [button]);
  }

  /** The filters of the positions table, as a query string (shared by the table and the CSV export). */
  function positionFilters() {
    var query = [];
    [['status', 'filter-status'], ['account', 'filter-account'], ['symbol', 'filter-symbol'],
      ['from', 'filter-from'], ['to', 'filter-to']].forEach(function (f) {
      var value = $(f[1]).value.trim();
      if (value) { query.push(f[0] + '=' + encodeURIComponent(value)); }
    });
    return query.join('&');
  }

  function loadPositions() {
    var filters = positionFilters();
    $('positions-csv').setAttribute('href', API.positionsCsv + (filters ? '?' + filters : ''));
    return getJson(API.positions + '?limit=' + OPEN_POSITIONS_LIMIT + (filters ? '&' + filters : '')).then(function (body) {
      // an answer to filters changed since is dropped: the newer request renders
      if (positionFilters() === filters) { renderOpenPositions(body); }
    });
  }

  function startPositionFilters() {
    ['filter-status', 'filter-account', 'filter-from', 'filter-to'].forEach(function (id) {
      $(id).addEventListener('change', function () { loadPositions().catch(function () { return null; }); });
    });
    var typing = null;
    $('filter-symbol').addEventListener('input', function () {
      if (typing) { clearTimeout(typing); }
      typing = setTimeout(function () { loadPositions().catch(function () { return null; }); }, 300);
    });
    $('positions-filters').addEventListener('submit', function (event) { event.preventDefault(); });
    $('positions-csv').addEventListener('click', downloadWithToken);
  }

  // A plain link cannot send the token that reads need off loopback: with a token in this tab the export is
  // fetched with it and handed to the browser as a file.
  function downloadWithToken(event) {
    var token = loadToken();
    if (!token) { return; }
    event.preventDefault();
    var link = event.currentTarget;
    fetch(link.href, { cache: 'no-store', credentials: 'same-origin', headers: { Authorization: 'Bearer ' + token } })
      .then(function (response) {
        if (!response.ok) { throw new ApiError('export refused', response.status); }
        return response.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var save = el('a', { attrs: { href: url, download: 'positions.csv' } });
        document.body.appendChild(save);
        save.click();
        save.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 0);
      })
      .catch(function (err) {
        setApiStatus(false, 'CSV export failed: ' + (err.status ? 'HTTP ' + err.status : 'API unreachable') + '.');
      });
  }

  function renderOpenPositions(body) {
    var positions = (body && body.positions) || [];
    var total = body && typeof body.total === 'number' ? body.total : positions.length;
    // The true total of what the filters select, not the rows loaded.
    setText('open-count', positions.length < total ? '(showing ' + positions.length + ' of ' + total + ')' :
      '(' + total + ')');
    $('positions').setAttribute('data-total', String(total));
    if (!changed('open', positions)) { return; }
    var tbody = $('open-positions').tBodies[0];
    clear(tbody);
    if (positions.length === 0) { tbody.appendChild(emptyRow(12, 'No positions match the filters.')); }
    positions.forEach(function (p) {
      var qtySign = signOf(p.quantity);
      tbody.appendChild(el('tr', { attrs: positionAttrs(p) }, [
        el('td', { text: p.account }),
        symbolCell(p),
        el('td', { text: p.secType }),
        el('td', { text: p.currency }),
        el('td', { className: 'num' + (qtySign < 0 ? ' short' : ''), text: formatQuantity(p.quantity),
          title: qtySign < 0 ? 'short' : 'long' }),
        el('td', { className: 'num', text: formatPrice(p.averagePrice) }),
        el('td', { className: 'num', text: formatPrice(p.marketPrice) }),
        el('td', { className: 'num' }, [moneyNode(p.unrealizedPnl)]),
        realizedCell(p),
        el('td', {}, [timeNode(p.openedAt)]),
        el('td', {}, [timeNode(p.lastSyncedAt)]),
        el('td', { text: p.status })
      ]));
    });
  }

  function renderClosedPositions(body) {
    var positions = (body && body.positions) || [];
    if (!changed('closed', positions)) { return; }
    var tbody = $('closed-positions').tBodies[0];
    clear(tbody);
    if (positions.length === 0) { tbody.appendChild(emptyRow(10, 'No closed positions yet.')); }
    positions.forEach(function (p) {
      var row = el('tr', { attrs: positionAttrs(p) }, [
        el('td', { text: p.account }),
        symbolCell(p),
        el('td', { text: p.secType }),
        el('td', { text: p.currency }),
        el('td', { className: 'num closed-size', text: p.peakQuantity === null || p.peakQuantity === undefined ?
          DASH : formatQuantity(p.peakQuantity) }),
        el('td', { className: 'num', text: formatPrice(p.averagePrice) }),
        el('td', { className: 'num' }, [p.realizedPnl === null || p.realizedPnl === undefined ?
          el('span', { className: 'muted', text: DASH }) : moneyNode(p.realizedPnl)]),
        el('td', { className: 'pnl-source' }, [pnlSourceNode(p.realizedPnlSource)]),
        el('td', {}, [timeNode(p.openedAt)]),
        el('td', {}, [timeNode(p.closedAt)])
      ]);
      if (p.realizedPnlSource) { row.setAttribute('data-pnl-source', p.realizedPnlSource); }
      tbody.appendChild(row);
    });
  }

  function renderRuns(body) {
    var runs = (body && body.runs) || [];
    if (!changed('runs', runs)) { return; }
    var tbody = $('runs').tBodies[0];
    clear(tbody);
    if (runs.length === 0) { tbody.appendChild(emptyRow(10, 'No runs yet.')); }
    runs.forEach(function (r) {
      tbody.appendChild(el('tr', { attrs: { 'data-run-id': String(r.runId) } }, [
        el('td', { className: 'num', text: r.runId }),
        el('td', { text: r.trigger }),
        el('td', {}, [el('span', { className: 'badge run-' + String(r.status).toLowerCase(), text: r.status })]),
        el('td', { className: 'num', text: numberOr(r.opened, 0) }),
        el('td', { className: 'num', text: numberOr(r.updated, 0) }),
        el('td', { className: 'num', text: numberOr(r.closed, 0) }),
        el('td', { className: 'num', text: numberOr(r.unchanged, 0) }),
        el('td', {}, [timeNode(r.startedAt)]),
        el('td', { className: 'num', text: formatDuration(r.startedAt, r.finishedAt) }),
        el('td', { className: 'run-error', text: r.error || '' })
      ]));
    });
  }

  // --- Polling ----------------------------------------------------------------------------
  function setApiStatus(ok, message, detail) {
    var node = $('api-status');
    node.classList.toggle('api-status--error', !ok);
    node.classList.toggle('api-status--ok', ok);
    setText('api-status-text', message);
    setText('api-status-detail', detail || '');
  }

  function pollOnce() {
    var jobs = [
      getJson(API.status).then(renderStatus),
      getJson(API.summary).then(renderSummary),
      loadPositions(),
      getJson(API.closedPositions).then(renderClosedPositions),
      getJson(API.runs).then(renderRuns),
      getJson(API.resolvedBreaks).then(renderResolvedBreaks, function (err) { resolvedBreaksUnknown(); throw err; })
    ];
    var names = ['status', 'summary', 'positions', 'closed positions', 'runs', 'resolved breaks'];
    return Promise.all(jobs.map(function (job) {
      return job.then(function () { return null; }, function (err) { return err; });
    })).then(function (errors) {
      var failed = errors.map(function (e, i) { return e ? { name: names[i], error: e } : null; })
        .filter(function (x) { return x; });
      state.pollDelayMs = failed.length === 0 ? POLL_INTERVAL_MS : Math.min(state.pollDelayMs * 2, MAX_BACKOFF_MS);
      $('main').setAttribute('data-poll-delay-ms', String(state.pollDelayMs));
      if (failed.length === 0) {
        setApiStatus(true, 'API connected', 'updated ' + formatTime(new Date().toISOString()));
      } else if (failed.every(function (f) { return f.error.status === 0; })) {
        setApiStatus(false, 'API unreachable: showing the last data received. Retrying in ' +
          (state.pollDelayMs / 1000) + ' s.');
      } else {
        // Group by message: one failing database usually fails every endpoint the same way.
        var byMessage = {};
        failed.forEach(function (f) {
          var msg = (f.error.status ? 'HTTP ' + f.error.status + ': ' : '') + f.error.message;
          (byMessage[msg] = byMessage[msg] || []).push(f.name);
        });
        setApiStatus(false, 'API error: ' + Object.keys(byMessage).map(function (msg) {
          return msg + ' (' + (byMessage[msg].length === names.length ? 'all requests' : byMessage[msg].join(', ')) + ')';
        }).join('; '));
      }
      failed.forEach(function (f) {
        if (!(f.error instanceof ApiError) && window.console) { console.error(f.error); }
      });
    });
  }

  // Polite polling: nothing while the tab is hidden (one poll at once when it shows again), and while the
  // API fails the wait doubles up to MAX_BACKOFF_MS, back to normal after the first answer.
  function schedulePoll() {
    state.pollTimer = null;
    if (document.hidden) {
      $('main').setAttribute('data-polling', 'paused');
      return;
    }
    $('main').setAttribute('data-polling', 'on');
    state.polls++;
    $('main').setAttribute('data-polls', String(state.polls));
    var jobs = [pollOnce()];
    if (state.polls % PNL_EVERY_POLLS === 1) { jobs.push(loadPnl().catch(function () { return null; })); }
    Promise.all(jobs).finally(function () {
      if (!document.hidden && state.pollTimer === null) {
        state.pollTimer = setTimeout(schedulePoll, state.pollDelayMs);
      }
    });
  }

  function onVisibilityChange() {
    if (document.hidden) {
      if (state.pollTimer !== null) { clearTimeout(state.pollTimer); state.pollTimer = null; }
      $('main').setAttribute('data-polling', 'paused');
      stopEvents();
    } else {
      if (state.pollTimer === null) { schedulePoll(); }
      startEvents();
    }
  }

  // --- Live events ------------------------------------------------------------------------
  // Each committed run arrives on api/events as an event: the page refreshes at once instead of at the next
  // poll. EventSource cannot send headers, so when this tab holds the token (reads need it off loopback) the
  // stream is read with fetch and the same Authorization header as every read: the token never goes into a
  // URL (addresses end up in logs and histories). Polling goes on meanwhile: a failed run or a gateway that
  // went down announces nothing. When the stream fails (refused, off, cut) the page keeps polling and tries
  // the stream again later.
  function setStreamState(value, kind) {
    $('main').setAttribute('data-live-stream', value);
    $('main').setAttribute('data-live-stream-kind', kind || '');
  }

  function startEvents() {
    if (state.stream || document.hidden || state.streamRetryTimer !== null) { return; }
    var token = loadToken();
    if (token) {
      if (typeof fetch !== 'function' || typeof TextDecoder !== 'function' || typeof AbortController !== 'function') { return; }
      state.stream = openFetchStream(token);
    } else {
      if (typeof EventSource !== 'function') { return; }
      state.stream = openEventSource();
    }
    setStreamState('connecting', state.stream.kind);
  }

  function stopEvents() {
    if (state.streamRetryTimer !== null) { clearTimeout(state.streamRetryTimer); state.streamRetryTimer = null; }
    if (state.stream) {
      var stream = state.stream;
      state.stream = null;
      stream.close();
    }
    setStreamState('off');
  }

  /** With another token (or none): the stream must be opened the other way. */
  function restartEvents() {
    stopEvents();
    state.streamRetryMs = STREAM_RETRY_MS;
    startEvents();
  }

  function streamOpened(stream) {
    if (state.stream !== stream) { return; }
    setStreamState('open', stream.kind);
    state.streamRetryMs = STREAM_RETRY_MS;
    // Runs committed while no stream was open were not announced: catch up once.
    if (state.streamEverOpened) { refreshFromEvent(); }
    state.streamEverOpened = true;
  }

  function streamFailed(stream) {
    if (state.stream !== stream) { return; }
    state.stream = null;
    stream.close();
    setStreamState('off');
    var wait = state.streamRetryMs;
    state.streamRetryMs = Math.min(state.streamRetryMs * 2, STREAM_RETRY_MAX_MS);
    state.streamRetryTimer = setTimeout(function () {
      state.streamRetryTimer = null;
      startEvents();
    }, wait);
  }

  function onStreamEvent(stream, type, id) {
    if (state.stream !== stream) { return; }
    if (type === 'run' || type === 'resync') {
      if (id) { $('main').setAttribute('data-last-event-id', String(id)); }
      refreshFromEvent();
    }
  }

  /** One refresh of everything at a time; events during it make one more. */
  function refreshFromEvent() {
    state.eventRefreshes++;
    $('main').setAttribute('data-event-refreshes', String(state.eventRefreshes));
    if (state.refreshing) { state.refreshAgain = true; return; }
    state.refreshing = true;
    Promise.all([pollOnce(), loadPnl().catch(function () { return null; })]).finally(function () {
      state.refreshing = false;
      if (state.refreshAgain) {
        state.refreshAgain = false;
        state.eventRefreshes--;
        refreshFromEvent();
      }
    });
  }

  function openEventSource() {
    var source = new EventSource(apiUrl(API.events));
    var stream = { kind: 'eventsource', close: function () { source.close(); } };
    source.onopen = function () { streamOpened(stream); };
    source.addEventListener('run', function (event) { onStreamEvent(stream, 'run', event.lastEventId); });
    source.addEventListener('resync', function () { onStreamEvent(stream, 'resync', null); });
    // Refused (401, 503: EventSource gives up) or cut: the page polls and tries again later, itself.
    source.onerror = function () { streamFailed(stream); };
    return stream;
  }

  function openFetchStream(token) {
    var controller = new AbortController();
    var stream = { kind: 'fetch', close: function () { controller.abort(); } };
    fetch(apiUrl(API.events), {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { Accept: 'text/event-stream', Authorization: 'Bearer ' + token },
      signal: controller.signal
    }).then(function (response) {
      if (!response.ok || !response.body) { throw new ApiError('event stream refused', response.status); }
      streamOpened(stream);
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var parse = eventParser(function (type, id) { onStreamEvent(stream, type, id); });
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { throw new ApiError('event stream ended', 0); }
          parse(decoder.decode(chunk.value, { stream: true }));
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      if (!controller.signal.aborted) { streamFailed(stream); }
    });
    return stream;
  }

  /** The text/event-stream format, fed as it arrives: calls onEvent(type, id) for each event. */
  function eventParser(onEvent) {
    var pending = '';
    var type = null;
    var data = null;
    var lastId = null;
    return function (text) {
      pending += text;
      var lines = pending.split(/\r\n|\r|\n/);
      pending = lines.pop();
      lines.forEach(function (line) {
        if (line === '') {
          if (data !== null) { onEvent(type || 'message', lastId); }
          type = null;
          data = null;
          return;
        }
        if (line.charAt(0) === ':') { return; }
        var colon = line.indexOf(':');
        var field = colon < 0 ? line : line.substring(0, colon);
        var value = colon < 0 ? '' : line.substring(colon + 1).replace(/^ /, '');
        if (field === 'event') { type = value; } else if (field === 'data') { data = data === null ? value : data + '\n' + value; } else if (field === 'id') { lastId = value; }
      });
    };
  }

  // --- Token ------------------------------------------------------------------------------
  function loadToken() {
    try { return window.sessionStorage.getItem(TOKEN_STORAGE_KEY) || state.memoryToken; } catch (e) { return state.memoryToken; }
  }

  function saveToken(token) {
    var before = loadToken();
    state.memoryToken = token;
    try { window.sessionStorage.setItem(TOKEN_STORAGE_KEY, token); } catch (e) { /* memory only */ }
    $('token-forget').hidden = false;
    if (before !== token) { restartEvents(); }
  }

  function forgetToken() {
    state.memoryToken = null;
    try { window.sessionStorage.removeItem(TOKEN_STORAGE_KEY); } catch (e) { /* nothing stored */ }
    $('token-forget').hidden = true;
    restartEvents();
  }

  function askForToken(message, isError) {
    var form = $('token-form');
    var msg = $('token-message');
    msg.textContent = message;
    msg.classList.toggle('error-text', !!isError);
    form.hidden = false;
    var input = $('token-input');
    input.value = '';
    input.setAttribute('aria-invalid', isError ? 'true' : 'false');
    input.focus();
  }

  function hideTokenForm() {
    $('token-form').hidden = true;
  }

  // --- Manual sync ------------------------------------------------------------------------
  function setSyncResult(text, kind) {
    var node = $('sync-result');
    node.textContent = text;
    node.className = 'sync-result' + (kind ? ' sync-result--' + kind : '');
    node.setAttribute('data-kind', kind || '');
  }

  function setSyncing(on) {
    state.syncing = on;
    var button = $('sync-now');
    button.disabled = on;
    button.setAttribute('aria-busy', on ? 'true' : 'false');
    button.textContent = on ? 'Syncing...' : 'Sync now';
  }

  function kindOf(run) {
    if (run.status === 'SUCCEEDED') { return 'ok'; }
    if (run.status === 'RUNNING') { return 'pending'; }
    if (run.status === 'SKIPPED_INCOMPLETE') { return 'warn'; }
    return 'error';
  }

  function onSyncClick() {
    if (state.syncing) { return; }
    var token = loadToken();
    if (!token) {
      askForToken('Enter the API token to start a sync. It is kept in this browser tab only.', false);
      return;
    }
    startSync(token);
  }

  function onTokenSubmit(event) {
    event.preventDefault();
    var input = $('token-input');
    var token = input.value.trim();
    if (!token) {
      askForToken('The token cannot be empty.', true);
      return;
    }
    saveToken(token);
    input.value = '';
    hideTokenForm();
    if (state.tokenForReads) {
      // asked for because a read was refused: show the figures, start nothing
      state.tokenForReads = false;
      state.readTokenAsked = false;
      pollOnce();
      return;
    }
    startSync(token);
  }

  function startSync(token) {
    setSyncing(true);
    setSyncResult('Starting a sync\u2026', 'pending');
    request(API.syncPositions, { method: 'POST', headers: { Authorization: 'Bearer ' + token } })
      .then(function (r) {
        var run = r.body || {};
        if (r.status === 202 || run.status === 'RUNNING') {
          if (run.runId === undefined || run.runId === null) {
            setSyncResult('Sync started; its result will appear under "Last run".', 'pending');
            return null;
          }
          setSyncResult('Run ' + run.runId + ' RUNNING\u2026', 'pending');
          return followRun(run.runId);
        }
        return run;
      })
      .then(function (run) {
        if (run) { setSyncResult(describeRun(run), kindOf(run)); }
      })
      .catch(function (err) {
        if (err && err.status === 401) {
          forgetToken();
          setSyncResult('Sync refused: the API token was rejected (' + err.message + '). Enter it again.', 'error');
          askForToken('The token was rejected (HTTP 401). Enter the correct API token.', true);
        } else if (err && err.status === 0) {
          setSyncResult('Sync failed: API unreachable.', 'error');
        } else {
          setSyncResult('Sync failed: ' + (err && err.message ? err.message : String(err)) +
            (err && err.status ? ' (HTTP ' + err.status + ')' : ''), 'error');
        }
      })
      .finally(function () {
        setSyncing(false);
        pollOnce();
      });
  }

  /** Polls the run list until the given run has finished; resolves with that run. */
  function followRun(runId) {
    var deadline = performance.now() + RUN_POLL_TIMEOUT_MS;
    return new Promise(function (resolve) {
      function check() {
        getJson(API.runs).then(function (body) {
          var runs = (body && body.runs) || [];
          var run = runs.filter(function (x) { return x.runId === runId; })[0];
          if (run && run.status !== 'RUNNING') {
            resolve(run);
            return;
          }
          next();
        }, next);
      }
      function next() {
        if (performance.now() > deadline) {
          setSyncResult('Run ' + runId + ' is still running; its result will appear under "Last run".', 'pending');
          resolve(null);
          return;
        }
        setTimeout(check, RUN_POLL_INTERVAL_MS);
      }
      setTimeout(check, RUN_POLL_INTERVAL_MS);
    });
  }

  // --- Exact decimal sums (BigInt, scaled): totals shown are never float sums ------------
  function toScaled(value, scale) {
    var p = parseDecimal(value);
    if (!p) { return BigInt(0); }
    var frac = (p.frac + '0'.repeat(scale)).substring(0, scale);
    var n = BigInt(p.int + frac);
    return p.neg ? -n : n;
  }

  function fromScaled(n, scale) {
    var neg = n < 0;
    var digits = (neg ? -n : n).toString().padStart(scale + 1, '0');
    return (neg ? '-' : '') + digits.substring(0, digits.length - scale) + '.' + digits.substring(digits.length - scale);
  }

  var SUM_SCALE = 10;

  function addDecimals(a, b) { return fromScaled(toScaled(a, SUM_SCALE) + toScaled(b, SUM_SCALE), SUM_SCALE); }

  // --- P&L over time ----------------------------------------------------------------------
  function startPnl() {
    ['pnl-currency', 'pnl-account', 'pnl-from', 'pnl-to'].forEach(function (id) {
      $(id).addEventListener('change', function () {
        if (id === 'pnl-currency') { state.pnlCurrencyChosen = true; drawPnl(); } else {
          loadPnl().catch(function () { return null; });
        }
      });
    });
    $('pnl-controls').addEventListener('submit', function (event) { event.preventDefault(); });
    window.addEventListener('resize', function () {
      if (state.pnlPlot) { state.pnlPlot.setSize({ width: chartWidth(), height: CHART_HEIGHT }); }
    });
  }

  function pnlQuery() {
    var query = [];
    [['from', 'pnl-from'], ['to', 'pnl-to'], ['account', 'pnl-account']].forEach(function (p) {
      var value = $(p[1]).value;
      if (value) { query.push(p[0] + '=' + encodeURIComponent(value)); }
    });
    return API.dailyPnl + (query.length ? '?' + query.join('&') : '');
  }

  function loadPnl() {
    return getJson(pnlQuery()).then(function (data) {
      state.pnlData = data;
      if (!$('pnl-from').value) { $('pnl-from').value = data.from; }
      if (!$('pnl-to').value) { $('pnl-to').value = data.to; }
      setText('pnl-day-definition', data.dayDefinition || DASH);
      var zone = data.timeZone || 'UTC';
      Array.prototype.forEach.call(document.querySelectorAll('.pnl-zone'), function (n) { n.textContent = '(' + zone + ' day)'; });
      setText('pnl-day-zone', '(' + zone + ')');
      renderPnlTotals(data);
      drawPnl();
    }, function (err) {
      // Keep the last chart, and say it is not current.
      $('pnl').setAttribute('data-state', 'error');
      setText('pnl-status', 'P&L over time unavailable: ' + err.message +
        (state.pnlData ? ' (showing the last figures received)' : '') + '.');
      throw err;
    });
  }

  /** The accounts the summary knows, for the account filters (the chosen one kept). */
  function renderAccountOptions(accounts) {
    ['pnl-account', 'filter-account'].forEach(function (id) {
      var select = $(id);
      if (!select) { return; }
      var chosen = select.value;
      var have = Array.prototype.map.call(select.options, function (o) { return o.value; }).join('|');
      var want = [''].concat(accounts).join('|');
      if (have === want) { return; }
      while (select.options.length > 1) { select.remove(1); }
      accounts.forEach(function (a) { select.appendChild(el('option', { text: a, attrs: { value: a } })); });
      select.value = accounts.indexOf(chosen) >= 0 ? chosen : '';
    });
  }

  function renderPnlTotals(data) {
    var list = $('pnl-totals');
    clear(list);
    var totals = data.totals || [];
    var select = $('pnl-currency');
    var chosen = select.value;
    clear(select);
    totals.forEach(function (t) { select.appendChild(el('option', { text: t.currency, attrs: { value: t.currency } })); });
    if (totals.length === 0) { select.appendChild(el('option', { text: DASH, attrs: { value: '' } })); }
    var kept = state.pnlCurrencyChosen && totals.some(function (t) { return t.currency === chosen; });
    select.value = kept ? chosen : mostActiveCurrency(data);
    totals.forEach(function (t) {
      var item = el('li', { attrs: { 'data-currency': t.currency } }, [
        el('strong', { text: t.currency + ' ' }), moneyNode(t.realizedPnl),
        ' (from executions ' + t.currency + ' ' + formatMoney(t.executions) + ', estimated ' + t.currency + ' ' +
          formatMoney(t.estimated) + ')'
      ]);
      list.appendChild(item);
    });
  }

  /**
   * The currency the chart opens on: the one with the most realizing changes over the days that have data, then
   * the larger absolute amount, then the name (never merely the first name in the alphabet).
   */
  function mostActiveCurrency(data) {
    var activity = {};
    (data.days || []).forEach(function (d) {
      var a = activity[d.currency] = activity[d.currency] || { changes: 0, days: {}, amount: '0' };
      a.changes += numberOr(d.changes, 1);
      a.days[d.day] = true;
      a.amount = addDecimals(a.amount, d.realizedPnl);
    });
    var ranked = (data.totals || []).map(function (t) {
      var a = activity[t.currency] || { changes: 0, days: {}, amount: '0' };
      return { currency: t.currency, changes: a.changes, days: Object.keys(a.days).length,
        size: a.amount.replace('-', '') };
    });
    ranked.sort(function (x, y) {
      return (y.changes - x.changes) || (y.days - x.days) || signOf(addDecimals(y.size, '-' + x.size)) ||
        (x.currency < y.currency ? -1 : (x.currency > y.currency ? 1 : 0));
    });
    return ranked.length ? ranked[0].currency : '';
  }

  function chartWidth() {
    return Math.max(320, ($('pnl-chart').clientWidth || 800) - 4);
  }

  function utcDays(from, to) {
    var days = [];
    var t = Date.parse(from + 'T00:00:00Z');
    var end = Date.parse(to + 'T00:00:00Z');
    while (isFinite(t) && t <= end && days.length < 400) {
      days.push(new Date(t).toISOString().substring(0, 10));
      t += 86400000;
    }
    return days;
  }

  /** One currency at a time: amounts of different currencies are never drawn on one scale or summed. */
  function drawPnl() {
    var data = state.pnlData;
    if (!data) { return; }
    var section = $('pnl');
    var currency = $('pnl-currency').value;
    var byDay = {};
    (data.days || []).forEach(function (d) {
      if (d.currency !== currency) { return; }
      var day = byDay[d.day] = byDay[d.day] || { executions: '0', estimated: '0' };
      if (d.source === 'MARKET_PRICE') { day.estimated = addDecimals(day.estimated, d.realizedPnl); } else {
        day.executions = addDecimals(day.executions, d.realizedPnl);
      }
    });
    // The chart spans the days that have data in this currency (not the whole range, mostly empty).
    var dataDays = Object.keys(byDay).sort();
    var days = dataDays.length ? utcDays(dataDays[0], dataDays[dataDays.length - 1]) : [];
    var xs = [];
    var executions = [];
    var estimated = [];
    var cumulative = [];
    var running = '0';
    var tbody = $('pnl-table').tBodies[0];
    clear(tbody);
    days.forEach(function (day) {
      var d = byDay[day];
      xs.push(Date.parse(day + 'T00:00:00Z') / 1000);
      if (d) {
        running = addDecimals(running, addDecimals(d.executions, d.estimated));
        tbody.appendChild(el('tr', { attrs: { 'data-day': day } }, [
          el('th', { text: day, attrs: { scope: 'row' } }),
          el('td', { className: 'num' }, [moneyNode(d.executions)]),
          el('td', { className: 'num' }, [moneyNode(d.estimated)]),
          el('td', { className: 'num' }, [moneyNode(running)])
        ]));
      }
      executions.push(d && signOf(d.executions) !== 0 ? Number(d.executions) : null);
      estimated.push(d && signOf(d.estimated) !== 0 ? Number(d.estimated) : null);
      cumulative.push(Number(running));
    });
    if (!tbody.rows.length) {
      tbody.appendChild(emptyRow(4, 'Nothing realized in this range.'));
    }
    section.setAttribute('data-state', 'ok');
    section.setAttribute('data-currency', currency);
    section.setAttribute('data-cumulative', running);
    section.setAttribute('data-bar-days', String(Object.keys(byDay).length));
    section.setAttribute('data-chart-days', String(days.length));
    var range = data.from + ' to ' + data.to + (data.account ? ', account ' + data.account : ', all accounts');
    var zoneDays = (data.timeZone || 'UTC') + ' days';
    setText('pnl-status', currency ? 'Realized P&L in ' + currency + ', ' + range + ' (' + zoneDays + '; ' +
      dataDays.length + (dataDays.length === 1 ? ' day' : ' days') + ' with realized P&L' +
      (dataDays.length ? ', ' + dataDays[0] + ' to ' + dataDays[dataDays.length - 1] : '') + ').' :
      'Nothing realized from ' + range + '.');
    $('pnl-chart').setAttribute('aria-label', currency ? 'Realized P&L in ' + currency + ' per day, ' + range +
      ': cumulative ' + currency + ' ' + formatMoney(running) + '. The same figures are in the table below.' :
      'No realized P&L in this range.');
    renderChart(currency, [xs, executions, estimated, cumulative]);
  }

  function renderChart(currency, series) {
    if (state.pnlPlot) { state.pnlPlot.destroy(); state.pnlPlot = null; }
    if (typeof window.uPlot !== 'function' || !currency) { return; }
    var bars = function (align) { return window.uPlot.paths.bars({ size: [0.35, 24], align: align }); };
    var money = function (u, values) { return values.map(function (v) { return formatMoney(String(v)); }); };
    state.pnlPlot = new window.uPlot({
      width: chartWidth(),
      height: CHART_HEIGHT,
      legend: { show: false },
      cursor: { show: true, drag: { x: false, y: false } },
      tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
      scales: { x: { time: true } },
      axes: [{ stroke: '#374151' }, { stroke: '#374151', values: money, size: 80, label: currency }],
      series: [
        {},
        { label: 'From executions', stroke: '#166534', fill: 'rgba(22, 101, 52, 0.7)', paths: bars(-1), points: { show: false } },
        { label: 'Estimated', stroke: '#92400e', fill: 'rgba(217, 119, 6, 0.45)', dash: [4, 3], paths: bars(1),
          points: { show: false } },
        { label: 'Cumulative', stroke: '#1d4ed8', width: 2, points: { show: true, size: 5 } }
      ]
    }, series, $('pnl-chart'));
  }

  // --- A lifecycle's story ----------------------------------------------------------------
  function startHistory() {
    document.addEventListener('click', function (event) {
      var target = event.target.closest ? event.target.closest('[data-history]') : null;
      if (target) { openHistory(target.getAttribute('data-history'), target); }
    });
    $('history-close').addEventListener('click', function () { $('history-dialog').close(); });
    $('history-dialog').addEventListener('close', function () {
      if (state.historyOpener && document.body.contains(state.historyOpener)) { state.historyOpener.focus(); }
    });
  }

  function openHistory(id, opener) {
    var dialog = $('history-dialog');
    state.historyOpener = opener;
    dialog.setAttribute('data-position-id', String(id));
    dialog.setAttribute('data-state', 'loading');
    setText('history-title', 'Lifecycle ' + id);
    setText('history-status', 'Loading\u2026');
    clear($('history-facts'));
    clear($('history-list'));
    if (!dialog.open) { dialog.showModal(); }
    getJson(API.history(id)).then(function (body) {
      if (dialog.getAttribute('data-position-id') !== String(id)) { return; }
      renderHistory(body);
      dialog.setAttribute('data-state', 'ok');
    }, function (err) {
      dialog.setAttribute('data-state', 'error');
      setText('history-status', 'History unavailable: ' + err.message + (err.status ? ' (HTTP ' + err.status + ')' : '') + '.');
    });
  }

  function formatHolding(fromIso, toIso) {
    var ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
    if (!isFinite(ms) || ms < 0) { return DASH; }
    var min = Math.floor(ms / 60000);
    var days = Math.floor(min / 1440);
    var hours = Math.floor((min % 1440) / 60);
    return (days ? days + ' d ' : '') + (days || hours ? hours + ' h ' : '') + (min % 60) + ' min';
  }

  function fact(list, label, value, key) {
    var dd = el('dd', { attrs: key ? { 'data-fact': key } : {} }, [typeof value === 'string' ? value : value]);
    list.appendChild(el('div', { className: 'history-facts__item' }, [el('dt', { text: label }), dd]));
  }

  function currencyMoney(currency, value) {
    if (value === null || value === undefined) { return el('span', { className: 'muted', text: DASH }); }
    return el('span', {}, [currency + ' ', moneyNode(value)]);
  }

  function renderHistory(body) {
    var p = body.position;
    var history = body.history || [];
    var ccy = p.currency;
    setText('history-title', p.symbol + ' ' + p.secType + ' in ' + p.account + ' (lifecycle ' + p.id + ')');
    setText('history-status', history.length + (history.length === 1 ? ' change' : ' changes') + ' recorded.');
    var facts = $('history-facts');
    fact(facts, 'Status', p.status, 'status');
    fact(facts, 'Quantity', formatQuantity(p.quantity), 'quantity');
    fact(facts, 'Average price', ccy + ' ' + formatPrice(p.averagePrice), 'average');
    var realized = el('span', {}, [currencyMoney(ccy, p.realizedPnl), ' ', pnlSourceNode(p.realizedPnlSource)]);
    fact(facts, 'Realized P&L', realized, 'realized');
    fact(facts, 'Opened', formatTime(p.openedAt), 'opened');
    if (p.closedAt) {
      fact(facts, 'Closed', formatTime(p.closedAt), 'closed');
      var exits = history.filter(function (h) { return h.change === 'CLOSED' && h.exitPrice; });
      fact(facts, 'Exit price', exits.length ? ccy + ' ' + formatPrice(exits[exits.length - 1].exitPrice) : DASH, 'exit-price');
      fact(facts, 'Held for', formatHolding(p.openedAt, p.closedAt), 'holding');
    } else {
      fact(facts, 'Open for', formatHolding(p.openedAt, new Date().toISOString()), 'holding');
    }

    var list = $('history-list');
    history.forEach(function (h) {
      var item = el('li', { className: 'history-entry', attrs: { 'data-change': h.change, 'data-run-id': String(h.runId) } });
      item.appendChild(el('p', { className: 'history-entry__head' }, [
        el('span', { className: 'badge change-' + String(h.change).toLowerCase(), text: h.change }),
        ' Run ' + h.runId + ', ', timeNode(h.recordedAt)
      ]));
      var lines = [];
      lines.push('Quantity ' + formatQuantity(h.quantityBefore) + ' \u2192 ' + formatQuantity(h.quantityAfter) +
        (h.averagePrice ? ', average ' + ccy + ' ' + formatPrice(h.averagePrice) : ''));
      if (h.change === 'ADJUSTED') {
        item.appendChild(el('p', { className: 'history-entry__adjusted' }, [
          'Late facts changed realized P&L: ', currencyMoney(ccy, h.realizedPnlBefore), ' \u2192 ', currencyMoney(ccy, h.realizedPnlTotal)
        ]));
      } else if (h.realizedPnlDelta !== null && h.realizedPnlDelta !== undefined) {
        item.appendChild(el('p', {}, ['Realized ', currencyMoney(ccy, h.realizedPnlDelta), ' (total ',
          currencyMoney(ccy, h.realizedPnlTotal), ') ', pnlSourceNode(h.realizedPnlSource)]));
      }
      if (h.exitPrice) {
        lines.push('Exit price ' + ccy + ' ' + formatPrice(h.exitPrice) +
          (h.exitCommission ? ', commissions ' + ccy + ' ' + formatMoney(h.exitCommission) : ''));
      }
      lines.forEach(function (line) { item.appendChild(el('p', { text: line })); });
      item.appendChild(executionsNode(h));
      list.appendChild(item);
    });
    if (!history.length) { list.appendChild(el('li', { className: 'muted', text: 'No change recorded.' })); }
  }

  function executionsNode(h) {
    var executions = h.executions || [];
    if (!executions.length) {
      return el('p', { className: 'muted', text: h.change === 'ADJUSTED' || h.change === 'UNCHANGED' ? '' :
        'No execution explains this change' + (h.realizedPnlSource === 'MARKET_PRICE' ? ' (an estimate).' : '.') });
    }
    var rows = executions.map(function (e) {
      return el('tr', { attrs: { 'data-exec-id': e.execId } }, [
        el('td', { className: 'exec-id', text: e.execId }),
        el('td', {}, [timeNode(e.time)]),
        el('td', { text: e.side }),
        el('td', { className: 'num', text: formatQuantity(e.shares) }),
        el('td', { className: 'num', text: formatPrice(e.price) }),
        el('td', { className: 'num', text: e.commission === null || e.commission === undefined ? 'pending' :
          (e.commissionCurrency ? e.commissionCurrency + ' ' : '') + formatMoney(e.commission) })
      ]);
    });
    var head = el('tr', {}, ['Execution', 'Time (UTC)', 'Side', 'Shares', 'Price', 'Commission'].map(function (t, i) {
      return el('th', { text: t, className: i >= 3 ? 'num' : '', attrs: { scope: 'col' } });
    }));
    return el('div', { className: 'table-wrap' }, [el('table', { className: 'data-table executions-table' }, [
      el('caption', { className: 'visually-hidden', text: 'Executions behind run ' + h.runId + ' ' + h.change }),
      el('thead', {}, [head]), el('tbody', {}, rows)
    ])]);
  }

  // --- Start ------------------------------------------------------------------------------
  function start() {
    $('sync-now').addEventListener('click', onSyncClick);
    $('token-form').addEventListener('submit', onTokenSubmit);
    $('token-cancel').addEventListener('click', function () {
      hideTokenForm();
      $('sync-now').focus();
    });
    $('token-forget').addEventListener('click', function () {
      forgetToken();
      setSyncResult('API token forgotten.', '');
    });
    $('token-forget').hidden = !loadToken();
    renderLastSynced();
    setInterval(renderLastSynced, TICK_INTERVAL_MS);
    startPnl();
    startHistory();
    startPositionFilters();
    document.addEventListener('visibilitychange', onVisibilityChange);
    setStreamState('off');
    schedulePoll();
    startEvents();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
