-- City scale (issue 20): part counts per density cell, class and geometry kind, kept by every
-- part written (the GeoPackage's migration 9 has the same table; `spatial::part_cells` reads
-- the counts). Seats read it to draw the density layer and count the layer tree without
-- reading every part. A server upgraded from schema 10 starts with it empty: `citygrid migrate`
-- copies it from the file, and a seat counts the parts it loaded while it is empty.
CREATE TABLE part_cells (cx bigint NOT NULL, cy bigint NOT NULL, counts bytea NOT NULL, PRIMARY KEY (cx, cy));
DO $$
DECLARE
  seat text := current_database() || '_seat';
BEGIN
  EXECUTE format('GRANT SELECT ON part_cells TO %I', seat);
END $$;
