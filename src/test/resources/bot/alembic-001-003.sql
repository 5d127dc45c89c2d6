-- The trading bot's database as its own migrations leave it: Alembic revisions 001..003 over this SQLAlchemy 2
-- model, in the DDL SQLAlchemy's PostgreSQL dialect emits ({{OPEN}} / {{CLOSED}}: how this bot spells statuses).
--
--   class Position(Base):
--       __tablename__ = "positions"
--       id: Mapped[int] = mapped_column(Integer, primary_key=True)                          # 001
--       symbol: Mapped[str] = mapped_column(String(16), nullable=False, index=True)         # 001
--       quantity: Mapped[Decimal] = mapped_column(Numeric(18, 8), nullable=False)          # 001
--       entry_price: Mapped[Decimal] = mapped_column(Numeric(18, 8), nullable=False)       # 001
--       current_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))              # 001
--       unrealized_pnl: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))             # 001
--       status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="{{OPEN}}")  # 001
--       opened_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())  # 001
--       closed_at: Mapped[datetime | None] = mapped_column(DateTime)                       # 001
--       account: Mapped[str | None] = mapped_column(String(32))                            # 002
--       strategy: Mapped[str | None] = mapped_column(String(32))                           # 003 (+ index on status)
--
-- The bot writes times with datetime.utcnow(): UTC wall clock in columns without time zone.

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 001, positions
CREATE TABLE positions (
    id SERIAL NOT NULL,
    symbol VARCHAR(16) NOT NULL,
    quantity NUMERIC(18, 8) NOT NULL,
    entry_price NUMERIC(18, 8) NOT NULL,
    current_price NUMERIC(18, 8),
    unrealized_pnl NUMERIC(18, 8),
    status VARCHAR(10) DEFAULT '{{OPEN}}' NOT NULL,
    opened_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now() NOT NULL,
    closed_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id)
);
CREATE INDEX ix_positions_symbol ON positions (symbol);
INSERT INTO alembic_version (version_num) VALUES ('001');

-- Running upgrade 001 -> 002, account
ALTER TABLE positions ADD COLUMN account VARCHAR(32);
UPDATE alembic_version SET version_num='002' WHERE alembic_version.version_num = '001';

-- Running upgrade 002 -> 003, strategy and status index
ALTER TABLE positions ADD COLUMN strategy VARCHAR(32);
CREATE INDEX ix_positions_status ON positions (status);
UPDATE alembic_version SET version_num='003' WHERE alembic_version.version_num = '002';
