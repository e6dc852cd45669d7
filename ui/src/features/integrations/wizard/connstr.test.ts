import { describe, expect, it } from 'vitest';
import { isUri, parseKeywordValue, readPasted } from './connstr';

describe('readPasted', () => {
  it('takes the password from a URI, percent-decoded', () => {
    const r = readPasted('postgresql://admin:p%40ss%3Aword@db.example.com:5433/app?sslmode=verify-full&sslrootcert=/etc/ca.pem');
    expect(r.password).toBe('p@ss:word');
    expect(r.params).toEqual({ sslmode: 'verify-full', sslrootcert: '/etc/ca.pem' });
  });
  it('has no password when the URI has none', () => {
    expect(readPasted('postgres://admin@db/app').password).toBeNull();
    expect(readPasted('postgres://db').password).toBeNull();
  });
  it('takes a password given as a query parameter, and never keeps it among the params', () => {
    const r = readPasted('postgres://admin@db/app?password=s3cret&application_name=x');
    expect(r.password).toBe('s3cret');
    expect(r.params).toEqual({ application_name: 'x' });
  });
  it('reads multi-host URIs that URL refuses', () => {
    const r = readPasted('postgresql://u:pw@h1:5432,h2:5433/db?connect_timeout=5');
    expect(r.password).toBe('pw');
    expect(r.params.connect_timeout).toBe('5');
  });
  it('reads keyword/value strings with quoting', () => {
    const r = readPasted("host=db port=5432 user=admin password='it\\'s a secret' sslkey=/k.pem");
    expect(r.password).toBe("it's a secret");
    expect(r.params).toEqual({ host: 'db', port: '5432', user: 'admin', sslkey: '/k.pem' });
  });
  it('tells URIs apart', () => {
    expect(isUri(' postgres://x')).toBe(true);
    expect(isUri('POSTGRESQL://x')).toBe(true);
    expect(isUri('host=x')).toBe(false);
  });
  it('accepts spaces around = and empty values', () => {
    expect(parseKeywordValue("host = db  password=''  dbname=x")).toEqual({ host: 'db', password: '', dbname: 'x' });
  });
});
