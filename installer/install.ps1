<#
.SYNOPSIS
  Registers the TabAgent native host for the current Windows user (HKCU; no administrator rights).

.DESCRIPTION
  UNTESTED: written to the documented Chrome/Edge/Firefox registry contract, but never run on Windows
  by this project's CI (which is Linux only). Please report problems.

  Copies tabagent-host.exe (and tabagent-cache.exe when present) from -Prebuilt into
  %LOCALAPPDATA%\TabAgent\bin, writes the host manifests into %LOCALAPPDATA%\TabAgent\, and points
  these registry keys at them (default value = manifest path):
    HKCU\Software\Google\Chrome\NativeMessagingHosts\com.tabagent.host
    HKCU\Software\Chromium\NativeMessagingHosts\com.tabagent.host
    HKCU\Software\Microsoft\Edge\NativeMessagingHosts\com.tabagent.host
    HKCU\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.tabagent.host
    HKCU\Software\Mozilla\NativeMessagingHosts\com.tabagent.host   (Firefox manifest)
  Every file and key it writes is listed in %LOCALAPPDATA%\TabAgent\installed-files.txt; -Uninstall
  removes exactly those. Extra extension ids also go to %LOCALAPPDATA%\TabAgent\config.json
  ("allowed_extension_ids"), which the host reads for its own origin check.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File installer\install.ps1 -Prebuilt build\release\src\host
  powershell -ExecutionPolicy Bypass -File installer\install.ps1 -Check
  powershell -ExecutionPolicy Bypass -File installer\install.ps1 -Uninstall
#>
[CmdletBinding()]
param(
  [string]$Prebuilt,
  [string[]]$ExtensionId = @(),
  [switch]$Uninstall,
  [switch]$Check
)
$ErrorActionPreference = 'Stop'
$HostName = 'com.tabagent.host'
$TabAgentId = 'fkkeoobeahalebjpbockfedlncckobjb'
$FirefoxId = 'tabagent@tabagent.com'
$Prefix = Join-Path $env:LOCALAPPDATA 'TabAgent'
$BinDir = Join-Path $Prefix 'bin'
$Record = Join-Path $Prefix 'installed-files.txt'
$ChromeKeys = @{
  'Google Chrome'  = 'HKCU:\Software\Google\Chrome\NativeMessagingHosts'
  'Chromium'       = 'HKCU:\Software\Chromium\NativeMessagingHosts'
  'Microsoft Edge' = 'HKCU:\Software\Microsoft\Edge\NativeMessagingHosts'
  'Brave'          = 'HKCU:\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts'
}
$FirefoxKey = 'HKCU:\Software\Mozilla\NativeMessagingHosts'

function Add-Record([string]$Kind, [string]$Path) {
  $line = "$Kind`t$Path"
  $existing = @(if (Test-Path $Record) { Get-Content $Record })
  if ($existing -notcontains $line) { Add-Content -Path $Record -Value $line }
}

function Write-Utf8([string]$Path, [string]$Text) {
  # UTF-8 without BOM: Chrome's JSON parser rejects a BOM.
  [System.IO.File]::WriteAllText($Path, $Text, (New-Object System.Text.UTF8Encoding($false)))
}

function Invoke-Check {
  $failed = $false
  foreach ($browser in (@($ChromeKeys.Keys) + 'Firefox')) {
    $key = if ($browser -eq 'Firefox') { $FirefoxKey } else { $ChromeKeys[$browser] }
    $item = Get-ItemProperty -Path "$key\$HostName" -ErrorAction SilentlyContinue
    if (-not $item) { Write-Output ("  {0,-16} not registered" -f $browser); continue }
    $manifest = $item.'(default)'
    $problems = @()
    if (-not (Test-Path $manifest)) { $problems += "manifest missing: $manifest" }
    else {
      $m = Get-Content $manifest -Raw | ConvertFrom-Json
      if ($m.name -ne $HostName) { $problems += "name is '$($m.name)'" }
      if ($m.type -ne 'stdio') { $problems += "type is '$($m.type)'" }
      if (-not (Test-Path $m.path)) { $problems += "host missing: $($m.path)" }
      if ($browser -ne 'Firefox') {
        foreach ($o in $m.allowed_origins) {
          if ($o -notmatch '^chrome-extension://[a-p]{32}/$') { $problems += "bad origin '$o' (needs the trailing /)" }
        }
      }
    }
    if ($problems.Count) { $failed = $true; Write-Output ("  {0,-16} PROBLEM  {1}" -f $browser, ($problems -join '; ')) }
    else { Write-Output ("  {0,-16} ok       {1}" -f $browser, $manifest) }
  }
  if ($failed) { exit 1 }
}

if ($Check) { Invoke-Check; exit 0 }

if ($Uninstall) {
  if (-not (Test-Path $Record)) { Write-Output "nothing to uninstall"; exit 0 }
  foreach ($line in Get-Content $Record) {
    $kind, $path = $line -split "`t", 2
    switch ($kind) {
      'file' { Remove-Item -Force -ErrorAction SilentlyContinue $path }
      'key'  { Remove-Item -Force -ErrorAction SilentlyContinue $path }
    }
  }
  Remove-Item -Force $Record
  foreach ($dir in @($BinDir, $Prefix)) {
    if ((Test-Path $dir) -and -not (Get-ChildItem $dir)) { Remove-Item $dir }
  }
  Write-Output "uninstalled"
  exit 0
}

if (-not $Prebuilt) { throw "-Prebuilt DIR is required on Windows (build with: cmake --preset release; cmake --build --preset release)" }
$hostExe = Join-Path $Prebuilt 'tabagent-host.exe'
if (-not (Test-Path $hostExe)) { throw "tabagent-host.exe not found in $Prebuilt" }

New-Item -ItemType Directory -Force -Path $BinDir | Out-Null
Copy-Item -Force $hostExe (Join-Path $BinDir 'tabagent-host.exe'); Add-Record 'file' (Join-Path $BinDir 'tabagent-host.exe')
$cli = Join-Path $Prebuilt 'tabagent-cache.exe'
if (Test-Path $cli) { Copy-Item -Force $cli (Join-Path $BinDir 'tabagent-cache.exe'); Add-Record 'file' (Join-Path $BinDir 'tabagent-cache.exe') }

$chromeIds = @($TabAgentId) + @($ExtensionId | Where-Object { $_ -match '^[a-p]{32}$' })
$firefoxIds = @($FirefoxId) + @($ExtensionId | Where-Object { $_ -notmatch '^[a-p]{32}$' })
$hostPath = Join-Path $BinDir 'tabagent-host.exe'

$chromeManifest = Join-Path $Prefix "$HostName.json"
Write-Utf8 $chromeManifest (@{ name = $HostName; description = 'TabAgent native host: model cache and downloads';
  path = $hostPath; type = 'stdio'; allowed_origins = @($chromeIds | ForEach-Object { "chrome-extension://$_/" }) } | ConvertTo-Json)
Add-Record 'file' $chromeManifest
$firefoxManifest = Join-Path $Prefix "$HostName.firefox.json"
Write-Utf8 $firefoxManifest (@{ name = $HostName; description = 'TabAgent native host: model cache and downloads';
  path = $hostPath; type = 'stdio'; allowed_extensions = @($firefoxIds) } | ConvertTo-Json)
Add-Record 'file' $firefoxManifest

foreach ($browser in $ChromeKeys.Keys) {
  $key = "$($ChromeKeys[$browser])\$HostName"
  New-Item -Force -Path $key | Out-Null
  Set-Item -Path $key -Value $chromeManifest
  Add-Record 'key' $key
}
New-Item -Force -Path "$FirefoxKey\$HostName" | Out-Null
Set-Item -Path "$FirefoxKey\$HostName" -Value $firefoxManifest
Add-Record 'key' "$FirefoxKey\$HostName"

$extra = @($ExtensionId)
if ($extra.Count) {
  $configPath = Join-Path $Prefix 'config.json'
  $config = if (Test-Path $configPath) { Get-Content $configPath -Raw | ConvertFrom-Json } else { [pscustomobject]@{} }
  $ids = @($config.allowed_extension_ids) + $extra | Where-Object { $_ } | Select-Object -Unique
  $config | Add-Member -Force -NotePropertyName allowed_extension_ids -NotePropertyValue @($ids)
  if (-not (Test-Path $configPath)) { Add-Record 'file' $configPath }
  Write-Utf8 $configPath ($config | ConvertTo-Json)
}
Write-Output "installed into $BinDir"
Invoke-Check
