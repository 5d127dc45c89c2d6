DROP TABLE position_history;
