-- all_chaos_source.sql: the source of tests/integration/long_all_chaos.sh: many column types
-- (BIT, DECIMAL, FLOAT/DOUBLE, DATETIME(6), TIMESTAMP, JSON, ENUM/SET, utf8mb4/latin1/gbk, BLOB, a ~5 MB
-- row), a key-less table, a UNIQUE-only table, generated columns, a trigger, a view, deferred keys.
CREATE DATABASE p CHARACTER SET utf8mb4; USE p;
CREATE TABLE p.types (id INT AUTO_INCREMENT PRIMARY KEY, ti TINYINT, de DECIMAL(30,6), fl FLOAT, db DOUBLE,
  bt BIT(13), b1 BIT(1), b64 BIT(64) DEFAULT b'1111111111111111111111111111111111111111111111111111111111111111',
  dtm DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, tsd TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  vc VARCHAR(400) CHARACTER SET utf8mb4, lt VARCHAR(40) CHARACTER SET latin1, gb VARCHAR(40) CHARACTER SET gbk,
  bl BLOB, bn BINARY(4) DEFAULT 0x00ff5c27, js JSON, en ENUM('a','b','c',''), st SET('x','y','z'),
  longt LONGTEXT, KEY kdt (dtm), KEY kvc (vc(20))) DEFAULT CHARSET=utf8mb4;
INSERT INTO p.types (ti,de,fl,db,bt,b1,dtm,ts,vc,lt,gb,bl,js,en,st)
  SELECT CAST(seq % 256 AS SIGNED) - 128, seq * 1.000001 - 500, ROUND(seq / 3, 2), 1 / seq * 1e10, seq % 8192, seq % 2,
    '2022-01-01 00:00:00.000001' + INTERVAL seq * 997 SECOND, IF(seq % 7 = 0, NULL, FROM_UNIXTIME(1600000000 + seq * 3600 + 0.123456)),
    CASE seq % 5 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN CONCAT('😀 ', seq, ' ''q'' \\ ') ELSE REPEAT('é', seq % 100) END,
    IF(seq % 3 = 0, '', CONCAT(_latin1 0xE9E8, seq)), IF(seq % 4 = 0, NULL, CONCAT('中文', seq)),
    IF(seq % 6 = 0, '', UNHEX(CONCAT('00', MD5(seq), '5C270A0D1A'))), JSON_OBJECT('k', seq, 'u', '✓', 'n', NULL, 'a', JSON_ARRAY(1.5, 'x')),
    ELT(1 + seq % 4, 'a', 'b', 'c', ''), ELT(1 + seq % 4, 'x', 'x,y', '', 'z')
  FROM seq_1_to_3000;
UPDATE p.types SET longt = REPEAT(CONCAT('long row ', id, ' ü\n'), IF(id = 7, 350000, 60000)) WHERE id IN (7, 1500);
UPDATE p.types SET bl = NULL WHERE id % 11 = 0;
CREATE TABLE p.nokey (a INT, b VARCHAR(20), c DECIMAL(5,1)) CHARSET latin1;
INSERT INTO p.nokey SELECT seq % 20, IF(seq % 3 = 0, '', 'dup'), IF(seq % 5 = 0, NULL, 1.5) FROM seq_1_to_1500;
CREATE TABLE p.uk (u INT NOT NULL, v VARCHAR(40), UNIQUE KEY (u));
INSERT INTO p.uk SELECT seq, CONCAT('v', seq) FROM seq_1_to_2000;
CREATE TABLE p.gen (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b INT, s INT AS (a + b) STORED, v INT AS (a * 2) VIRTUAL, KEY kv (v));
INSERT INTO p.gen (a, b) SELECT seq, seq * 2 FROM seq_1_to_2000;
CREATE TABLE p.trg (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
CREATE TABLE p.trglog (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
CREATE TRIGGER p.trg_ai AFTER INSERT ON p.trg FOR EACH ROW INSERT INTO p.trglog (v) VALUES (NEW.v);
INSERT INTO p.trg (v) SELECT seq FROM seq_1_to_300;
CREATE VIEW p.vw AS SELECT id, vc FROM p.types WHERE id < 100;
CREATE TABLE p.empty_t (id INT PRIMARY KEY, x VARCHAR(3));
CREATE TABLE p.dk (id INT PRIMARY KEY, k INT, s VARCHAR(40), d DATETIME(6), KEY kk (k), KEY ks (s, d));
INSERT INTO p.dk SELECT seq, seq % 977, MD5(seq), '2021-01-01' + INTERVAL seq SECOND FROM seq_1_to_20000;
