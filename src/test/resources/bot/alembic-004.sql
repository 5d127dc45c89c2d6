-- Running upgrade 003 -> 004, sync columns (the bot's own attempt at a sync script):
--       last_synced_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
--       realized_pnl: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
ALTER TABLE positions ADD COLUMN last_synced_at TIMESTAMP WITHOUT TIME ZONE;
ALTER TABLE positions ADD COLUMN realized_pnl NUMERIC(18, 8);
CREATE INDEX ix_positions_last_synced_at ON positions (last_synced_at);
UPDATE alembic_version SET version_num='004' WHERE alembic_version.version_num = '003';
