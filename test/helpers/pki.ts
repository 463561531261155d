import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** `pki` in a folder of its own, removed when the test ends; `dir` is that folder. */
export function testPki (t: { teardown(fn: () => unknown): void }): ReturnType<typeof pki> & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nentang-pki-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return { ...pki(dir), dir }
}

/** Real certificates and CAdES-BES signatures, made by OpenSSL as a signing tool would. */
export function pki (dir: string) {
  const run = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  writeFileSync(join(dir, 'ext.cnf'), [
    '[user]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation', 'extendedKeyUsage=emailProtection',
    '[nokey]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,keyEncipherment',
    '[ca]', 'default_ca=test', '[test]', 'dir=.', 'database=index.txt', 'new_certs_dir=.', 'serial=serial.txt', 'default_md=sha256', 'policy=any', 'unique_subject=no',
    '[any]', 'commonName=supplied', 'serialNumber=optional',
  ].join('\n'))
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial.txt'), '1000\n')
  const authority = (name: string): void => {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '365', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
  }
  const person = (name: string, subject: string, extensions: string, dates?: [string, string]): void => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject)
    if (dates === undefined) run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca1.pem', '-CAkey', 'ca1.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-extfile', 'ext.cnf', '-extensions', extensions)
    else run('ca', '-batch', '-config', 'ext.cnf', '-cert', 'ca1.pem', '-keyfile', 'ca1.key', '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', dates[0], '-enddate', dates[1], '-extfile', 'ext.cnf', '-extensions', extensions, '-notext')
  }
  authority('ca1')
  authority('ca2')
  person('an', '/CN=Nguyen Van An/serialNumber=CCCD:001090000001', 'user')
  person('binh', '/CN=Tran Thi Binh/serialNumber=CCCD:001090000002', 'user')
  person('nokey', '/CN=Nguyen Van An/serialNumber=CCCD:001090000001', 'nokey')
  // A unit's seal: the People's Committee's own signing certificate.
  person('seal', '/CN=UBND phuong Ba Dinh/serialNumber=MST:0100000001', 'user')
  person('expired', '/CN=Nguyen Van An/serialNumber=CCCD:001090000001', 'user', ['20200101000000Z', '20200201000000Z'])
  // An's key, certified by the untrusted authority.
  run('x509', '-req', '-in', 'an.csr', '-CA', 'ca2.pem', '-CAkey', 'ca2.key', '-CAcreateserial', '-out', 'an-ca2.pem', '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'user')
  return {
    pem: (name: string): string => readFileSync(join(dir, `${name}.pem`), 'utf8'),
    /** A detached CAdES-BES signature of `text` by `cert` with `key`, in base64. */
    sign (text: string, cert: string, key = cert): string {
      writeFileSync(join(dir, 'content'), text)
      run('cms', '-sign', '-binary', '-in', 'content', '-signer', `${cert}.pem`, '-inkey', `${key}.key`, '-outform', 'DER', '-out', 'sig.p7s', '-md', 'sha256', '-cades')
      return readFileSync(join(dir, 'sig.p7s')).toString('base64')
    },
    /** `name`'s key and certificate as a PKCS#12 file as OpenSSL 3 exports it (AES-256, PBKDF2); `legacy`: 3DES/RC2. */
    p12 (name: string, password: string, legacy = false): Buffer {
      run('pkcs12', '-export', ...(legacy ? ['-legacy'] : []), '-inkey', `${name}.key`, '-in', `${name}.pem`, '-certfile', 'ca1.pem', '-passout', `pass:${password}`, '-out', `${name}.p12`)
      return readFileSync(join(dir, `${name}.p12`))
    },
    /**
     * `authority`'s certificate revocation list (PEM) naming the certificates `revoke` (revoked now, on top of those
     * revoked before), valid from `dates[0]` to `dates[1]` (OpenSSL's YYYYMMDDHHMMSSZ), by default from now for 7 days.
     */
    crl (revoke: string[], options: { authority?: string, dates?: [string, string] } = {}): string {
      const authority = options.authority ?? 'ca1'
      for (const name of revoke) run('ca', '-config', 'ext.cnf', '-cert', `${authority}.pem`, '-keyfile', `${authority}.key`, '-revoke', `${name}.pem`)
      const dates = options.dates === undefined ? ['-crldays', '7'] : ['-crl_lastupdate', options.dates[0], '-crl_nextupdate', options.dates[1]]
      run('ca', '-gencrl', '-config', 'ext.cnf', '-cert', `${authority}.pem`, '-keyfile', `${authority}.key`, ...dates, '-out', `${authority}.crl`)
      return readFileSync(join(dir, `${authority}.crl`), 'utf8')
    },
    /** What OpenSSL itself says of a signature, as the check runs it. */
    opensslVerifies (signature: string, text: string): boolean {
      writeFileSync(join(dir, 'check.p7s'), Buffer.from(signature, 'base64'))
      writeFileSync(join(dir, 'check.json'), text)
      try {
        run('cms', '-verify', '-binary', '-inform', 'DER', '-in', 'check.p7s', '-content', 'check.json', '-CAfile', 'ca1.pem', '-purpose', 'any', '-out', '/dev/null')
        return true
      } catch {
        return false
      }
    },
  }
}
