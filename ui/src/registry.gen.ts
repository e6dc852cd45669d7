// Generated from src-tauri/core/src/privileges (kinds.rs and mod.rs): do not edit.
// `cargo test -p grantry-core --test ts_bindings` fails when it is stale.

import type { KindInfo } from './gen/KindInfo';
import type { ObjectKind } from './gen/ObjectKind';
import type { Privilege } from './gen/Privilege';
import type { PrivilegeInfo } from './gen/PrivilegeInfo';

export const PRIVILEGES: Record<Privilege, PrivilegeInfo> = {
  SELECT: {"abbrev":"SEL","acl_letter":"r","keyword":"SELECT","privilege":"SELECT","since":0},
  INSERT: {"abbrev":"INS","acl_letter":"a","keyword":"INSERT","privilege":"INSERT","since":0},
  UPDATE: {"abbrev":"UPD","acl_letter":"w","keyword":"UPDATE","privilege":"UPDATE","since":0},
  DELETE: {"abbrev":"DEL","acl_letter":"d","keyword":"DELETE","privilege":"DELETE","since":0},
  TRUNCATE: {"abbrev":"TRUNC","acl_letter":"D","keyword":"TRUNCATE","privilege":"TRUNCATE","since":0},
  REFERENCES: {"abbrev":"REF","acl_letter":"x","keyword":"REFERENCES","privilege":"REFERENCES","since":0},
  TRIGGER: {"abbrev":"TRIG","acl_letter":"t","keyword":"TRIGGER","privilege":"TRIGGER","since":0},
  MAINTAIN: {"abbrev":"MAINT","acl_letter":"m","keyword":"MAINTAIN","privilege":"MAINTAIN","since":170000},
  EXECUTE: {"abbrev":"EXEC","acl_letter":"X","keyword":"EXECUTE","privilege":"EXECUTE","since":0},
  USAGE: {"abbrev":"USAGE","acl_letter":"U","keyword":"USAGE","privilege":"USAGE","since":0},
  CREATE: {"abbrev":"CREATE","acl_letter":"C","keyword":"CREATE","privilege":"CREATE","since":0},
  CONNECT: {"abbrev":"CONN","acl_letter":"c","keyword":"CONNECT","privilege":"CONNECT","since":0},
  TEMPORARY: {"abbrev":"TEMP","acl_letter":"T","keyword":"TEMPORARY","privilege":"TEMPORARY","since":0},
  SET: {"abbrev":"SET","acl_letter":"s","keyword":"SET","privilege":"SET","since":150000},
  ALTER_SYSTEM: {"abbrev":"ALTSYS","acl_letter":"A","keyword":"ALTER SYSTEM","privilege":"ALTER_SYSTEM","since":150000},
};

export const OBJECT_KINDS: Record<ObjectKind, KindInfo> = {
  database: {"grant_keyword":"DATABASE","kind":"database","label":"database","privileges":["CREATE","CONNECT","TEMPORARY"],"routine":false},
  schema: {"grant_keyword":"SCHEMA","kind":"schema","label":"schema","privileges":["USAGE","CREATE"],"routine":false},
  table: {"grant_keyword":"TABLE","kind":"table","label":"table","privileges":["SELECT","INSERT","UPDATE","DELETE","TRUNCATE","REFERENCES","TRIGGER","MAINTAIN"],"routine":false},
  partitioned_table: {"grant_keyword":"TABLE","kind":"partitioned_table","label":"partitioned table","privileges":["SELECT","INSERT","UPDATE","DELETE","TRUNCATE","REFERENCES","TRIGGER","MAINTAIN"],"routine":false},
  view: {"grant_keyword":"TABLE","kind":"view","label":"view","privileges":["SELECT","INSERT","UPDATE","DELETE","TRUNCATE","REFERENCES","TRIGGER","MAINTAIN"],"routine":false},
  materialized_view: {"grant_keyword":"TABLE","kind":"materialized_view","label":"materialized view","privileges":["SELECT","INSERT","UPDATE","DELETE","TRUNCATE","REFERENCES","TRIGGER","MAINTAIN"],"routine":false},
  foreign_table: {"grant_keyword":"TABLE","kind":"foreign_table","label":"foreign table","privileges":["SELECT","INSERT","UPDATE","DELETE","TRUNCATE","REFERENCES","TRIGGER","MAINTAIN"],"routine":false},
  sequence: {"grant_keyword":"SEQUENCE","kind":"sequence","label":"sequence","privileges":["SELECT","UPDATE","USAGE"],"routine":false},
  column: {"grant_keyword":"TABLE","kind":"column","label":"column","privileges":["SELECT","INSERT","UPDATE","REFERENCES"],"routine":false},
  function: {"grant_keyword":"FUNCTION","kind":"function","label":"function","privileges":["EXECUTE"],"routine":true},
  procedure: {"grant_keyword":"PROCEDURE","kind":"procedure","label":"procedure","privileges":["EXECUTE"],"routine":true},
  aggregate: {"grant_keyword":"FUNCTION","kind":"aggregate","label":"aggregate","privileges":["EXECUTE"],"routine":true},
  type: {"grant_keyword":"TYPE","kind":"type","label":"type","privileges":["USAGE"],"routine":false},
  domain: {"grant_keyword":"DOMAIN","kind":"domain","label":"domain","privileges":["USAGE"],"routine":false},
  language: {"grant_keyword":"LANGUAGE","kind":"language","label":"language","privileges":["USAGE"],"routine":false},
  foreign_data_wrapper: {"grant_keyword":"FOREIGN DATA WRAPPER","kind":"foreign_data_wrapper","label":"foreign data wrapper","privileges":["USAGE"],"routine":false},
  foreign_server: {"grant_keyword":"FOREIGN SERVER","kind":"foreign_server","label":"foreign server","privileges":["USAGE"],"routine":false},
  parameter: {"grant_keyword":"PARAMETER","kind":"parameter","label":"parameter","privileges":["SET","ALTER_SYSTEM"],"routine":false},
  large_object: {"grant_keyword":"LARGE OBJECT","kind":"large_object","label":"large object","privileges":["SELECT","UPDATE"],"routine":false},
};

/** PostgreSQL's reserved key words (quote.rs): names spelled like one are shown quoted. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(["all","analyse","analyze","and","any","array","as","asc","asymmetric","authorization","between","bigint","binary","bit","boolean","both","case","cast","char","character","check","coalesce","collate","collation","column","concurrently","constraint","create","cross","current_catalog","current_date","current_role","current_schema","current_time","current_timestamp","current_user","dec","decimal","default","deferrable","desc","distinct","do","else","end","except","exists","extract","false","fetch","float","for","foreign","freeze","from","full","grant","greatest","group","grouping","having","ilike","in","initially","inner","inout","int","integer","intersect","interval","into","is","isnull","join","lateral","leading","least","left","like","limit","localtime","localtimestamp","national","natural","nchar","none","normalize","not","notnull","null","nullif","numeric","offset","on","only","or","order","out","outer","overlaps","overlay","placing","position","precision","primary","real","references","returning","right","row","select","session_user","setof","similar","smallint","some","substring","symmetric","system_user","table","tablesample","then","time","timestamp","to","trailing","treat","trim","true","union","unique","user","using","values","varchar","variadic","verbose","when","where","window","with","xmlattributes","xmlconcat","xmlelement","xmlexists","xmlforest","xmlnamespaces","xmlparse","xmlpi","xmlroot","xmlserialize","xmltable"]);
