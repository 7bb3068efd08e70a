DROP TABLE cohandling_events;
DROP TABLE cohandling_clocks;
