DROP INDEX ticket_clocks_warned;
