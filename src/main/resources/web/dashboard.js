/*
 * position-sync dashboard: polls the HTTP API and renders sync status, portfolio summary and
 * positions. Plain DOM (textContent / createElement only): no data ever goes through innerHTML.
 */
(function () {
  'use strict';

  // --- Tunables -------------------------------------------------------------------------
  /** How often the dashboard polls the API. */
  var POLL_INTERVAL_MS = 5000;
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
  var TOKEN_STORAGE_KEY = 'position-sync.apiToken';

  var API = {
    status: 'api/sync/status',
    syncPositions: 'api/sync/positions',
    runs: 'api/sync/runs?limit=' + RUNS_LIMIT,
    summary: 'api/portfolio/summary',
    openPositions: 'api/positions?status=open&limit=' + OPEN_POSITIONS_LIMIT,
    closedPositions: 'api/positions?status=closed&limit=' + CLOSED_POSITIONS_LIMIT
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
    memoryToken: null
  };

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

  function setMoney(id, value) {
    var node = $(id);
    var text = formatMoney(value);
    var sign = displayedSign(text);
    node.textContent = text;
    node.classList.toggle('neg', sign < 0);
    node.classList.toggle('pos', sign > 0);
  }

  // Amounts of different currencies are never added: one figure per currency ("USD 1.00 · EUR 2.00").
  function setMoneyByCurrency(id, figures, field) {
    var list = figures.byCurrency || [];
    if (list.length <= 1) {
      setMoney(id, figures[field]);
      var single = list.length === 1 ? list[0].currency : '';
      $(id).title = single;
      return;
    }
    var node = $(id);
    node.textContent = list.map(function (c) { return c.currency + ' ' + formatMoney(c[field]); }).join(' \u00b7 ');
    node.classList.remove('neg', 'pos');
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
    renderBanner();
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
    breaks.forEach(function (b) {
      tbody.appendChild(el('tr', { className: 'break-row' }, [
        el('td', { text: b.account }),
        el('td', { text: b.symbol }),
        el('td', { text: b.conId }),
        el('td', { className: 'num money', text: formatMoney(b.ours) }),
        el('td', { className: 'num money', text: formatMoney(b.broker) }),
        el('td', { className: 'num money difference', text: formatMoney(b.difference) })
      ]));
    });
  }

  // --- Banner -----------------------------------------------------------------------------
  function renderBanner() {
    var fromDb = state.summarySource === 'DATABASE';
    var down = state.gatewayState === 'DOWN';
    var banner = $('db-banner');
    var noDatabase = state.statusKnown && !state.databaseAvailable;
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
        el('td', { className: 'num' }, [moneyNode(a.totalPnl)]),
        el('td', { className: 'num' }, [moneyNode(a.realizedPnl)]),
        el('td', { className: 'num' }, [moneyNode(a.unrealizedPnl)]),
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

  function symbolCell(p) {
    return el('td', { className: 'symbol', text: p.symbol, title: 'conId ' + p.conId +
      (p.multiplier && p.multiplier !== '1' ? ', multiplier ' + p.multiplier : '') });
  }

  function renderOpenPositions(body) {
    var positions = (body && body.positions) || [];
    if (!changed('open', positions)) { return; }
    setText('open-count', '(' + positions.length + ')');
    var tbody = $('open-positions').tBodies[0];
    clear(tbody);
    if (positions.length === 0) { tbody.appendChild(emptyRow(11, 'No open positions.')); }
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
        el('td', {}, [timeNode(p.lastSyncedAt)])
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
        el('td', { className: 'num', text: formatQuantity(p.quantity) }),
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
      getJson(API.openPositions).then(renderOpenPositions),
      getJson(API.closedPositions).then(renderClosedPositions),
      getJson(API.runs).then(renderRuns)
    ];
    var names = ['status', 'summary', 'open positions', 'closed positions', 'runs'];
    return Promise.all(jobs.map(function (job) {
      return job.then(function () { return null; }, function (err) { return err; });
    })).then(function (errors) {
      var failed = errors.map(function (e, i) { return e ? { name: names[i], error: e } : null; })
        .filter(function (x) { return x; });
      if (failed.length === 0) {
        setApiStatus(true, 'API connected', 'updated ' + formatTime(new Date().toISOString()));
      } else if (failed.every(function (f) { return f.error.status === 0; })) {
        setApiStatus(false, 'API unreachable: showing the last data received. Retrying every ' +
          (POLL_INTERVAL_MS / 1000) + ' s.');
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

  function schedulePoll() {
    pollOnce().finally(function () { setTimeout(schedulePoll, POLL_INTERVAL_MS); });
  }

  // --- Token ------------------------------------------------------------------------------
  function loadToken() {
    try { return window.sessionStorage.getItem(TOKEN_STORAGE_KEY) || state.memoryToken; } catch (e) { return state.memoryToken; }
  }

  function saveToken(token) {
    state.memoryToken = token;
    try { window.sessionStorage.setItem(TOKEN_STORAGE_KEY, token); } catch (e) { /* memory only */ }
    $('token-forget').hidden = false;
  }

  function forgetToken() {
    state.memoryToken = null;
    try { window.sessionStorage.removeItem(TOKEN_STORAGE_KEY); } catch (e) { /* nothing stored */ }
    $('token-forget').hidden = true;
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
    schedulePoll();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
