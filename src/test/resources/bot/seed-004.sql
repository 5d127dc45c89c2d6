-- After revision 004 the bot's own sync script filled the new columns for a while: its last pass was days ago,
-- and it wrote the realized P&L of two closed rows (7 turned out a win after fees were refunded).
UPDATE positions SET last_synced_at = '2026-11-28 09:00:00' WHERE status = '{{OPEN}}';
UPDATE positions SET realized_pnl = 118.00000000 WHERE id = 6;
UPDATE positions SET realized_pnl = 12.00000000 WHERE id = 7;
UPDATE positions SET realized_pnl = 0.00000000 WHERE id = 8;
