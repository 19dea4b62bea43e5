@echo off
rem Checks every file of the bundle against {{SUMS}} (SHA-256) with PowerShell's Get-FileHash,
rem so that IT can check the folder after the gateway without xlkit or Python.
setlocal EnableExtensions DisableDelayedExpansion
cd /d "%~dp0"
echo このフォルダのファイルを「{{SUMS}}」の SHA-256 と照らし合わせます…
if not exist "{{SUMS}}" goto :no_sums
powershell -NoProfile -NonInteractive -Command "$bad = 0; foreach ($line in Get-Content -LiteralPath '{{SUMS}}' -Encoding UTF8) { if (-not $line) { continue }; $hash, $name = $line -split '  ', 2; $path = Join-Path (Get-Location) $name; if (-not (Test-Path -LiteralPath $path)) { Write-Output ('  MISSING  ' + $name); $bad++; continue }; if ((Get-FileHash -Algorithm SHA256 -LiteralPath $path).Hash -ne $hash) { Write-Output ('  NG       ' + $name); $bad++ } }; exit [int]($bad -gt 0)"
if errorlevel 1 goto :bad
echo すべてのファイルが一致しました。セットアップ.bat を実行できます。
goto :end

:bad
echo.
echo 一致しないファイル（NG）か、無いファイル（MISSING）があります。
echo 無害化の途中で変わったか、欠けたと考えられます。セットアップ.bat は実行せず、バンドルを受け取り直してください。
goto :end

:no_sums
echo エラー: 「{{SUMS}}」がありません。バンドルのフォルダを丸ごと受け取り直してください。

:end
if /i not "%~1"=="/nopause" pause
