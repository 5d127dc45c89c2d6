-- Rows in every state the bot leaves them (ids are what the tests refer to):
-- 1 open, stale quantity; the broker holds 100 (links, updated in place)
-- 2 open, written before revision 002: no account (links by symbol alone)
-- 3 open, the broker holds none (no match: a break, left as it is)
-- 4, 5 open twice for the same futures position (both claim it: breaks, left as they are)
-- 6 closed with a profit, 7 closed with a loss, 8 closed at breakeven: legacy rows, unrealized P&L only
INSERT INTO positions (symbol, quantity, entry_price, current_price, unrealized_pnl, status, opened_at, closed_at,
                       account, strategy) VALUES
    ('AAPL', 80, 150.00000000, 149.00000000, -80.00000000, '{{OPEN}}', '2026-11-02 14:30:00', NULL, 'DU5550001', 'momentum'),
    ('XYZ', -50, 20.02000000, 20.10000000, -4.00000000, '{{OPEN}}', '2026-10-20 15:00:00', NULL, NULL, NULL),
    ('MSFT', 10, 300.00000000, 310.00000000, 100.00000000, '{{OPEN}}', '2026-11-10 15:45:00', NULL, 'DU5550001', 'momentum'),
    ('ES', 1, 5000.04800000, NULL, NULL, '{{OPEN}}', '2026-11-20 14:31:00', NULL, 'DU5550001', 'trend-a'),
    ('ES', 1, 5000.04800000, NULL, NULL, '{{OPEN}}', '2026-11-20 14:32:00', NULL, 'DU5550001', 'trend-b'),
    ('TSLA', 20, 200.00000000, 206.00000000, 120.00000000, '{{CLOSED}}', '2026-09-01 14:00:00', '2026-09-03 19:55:00', 'DU5550001', 'momentum'),
    ('NFLX', 5, 400.00000000, 390.90000000, -45.50000000, '{{CLOSED}}', '2026-09-05 14:00:00', '2026-09-06 16:00:00', 'DU5550001', 'momentum'),
    ('AAPL', 30, 140.00000000, 140.00000000, 0.00000000, '{{CLOSED}}', '2026-08-01 14:00:00', '2026-08-02 15:00:00', 'DU5550001', 'meanrev');
