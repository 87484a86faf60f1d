/**
 * apache2.conf of the labs' web servers (the keepalived lab's web1/web2, the Pacemaker lab's apache
 * resource): a small event MPM serving one directory, with server-status for 127.0.0.1 and a header
 * naming the node that answered. The labs differ only in paths, the listen address and that header.
 */
const MODULES = ['mpm_event', 'authz_core', 'authz_host', 'dir', 'mime', 'headers', 'status']

export interface ApacheConfOptions {
  /** Comment lines at the top (without "# "). */
  comments: string[]
  serverName: string
  runDir: string
  pidFile: string
  errorLog: string
  listen: string
  docRoot: string
  /** Lines after </Location> (the X-Served-By header …). */
  tail: string[]
}

export function renderApacheConfText(o: ApacheConfOptions): string {
  return `${o.comments.map((c) => `# ${c}`).join('\n')}
ServerRoot "/etc/apache2"
ServerName ${o.serverName}
DefaultRuntimeDir "${o.runDir}"
PidFile "${o.pidFile}"
Mutex file:${o.runDir} default
ErrorLog "${o.errorLog}"
LogLevel warn
User www-data
Group www-data
Listen ${o.listen}
${MODULES.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`).join('\n')}
TypesConfig /etc/mime.types
StartServers 1
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 5
MaxSpareThreads 50
KeepAlive Off
DocumentRoot "${o.docRoot}"
DirectoryIndex index.html
<Directory "${o.docRoot}">
    Require all granted
</Directory>
<Location "/server-status">
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
${o.tail.join('\n')}
`
}
