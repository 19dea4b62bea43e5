@echo off
rem Checks every file of the bundle against {{SUMS}} (SHA-256) with PowerShell's Get-FileHash,
rem so that IT can check the folder after the gateway without xlkit or Python.
setlocal EnableExtensions DisableDelayedExpansion
rem The folder reaches PowerShell through the environment, never through cd or the command text:
rem cmd cannot cd to a share (\\server\...), and a ' or $ in a path would change the command.
set "XLKIT_BUNDLE=%~dp0"
echo このフォルダのファイルを「{{SUMS}}」の SHA-256 と照らし合わせます…
if not exist "%~dp0{{SUMS}}" goto :no_sums
powershell -NoProfile -NonInteractive -Command "$bad = 0; foreach ($line in Get-Content -LiteralPath (Join-Path $env:XLKIT_BUNDLE '{{SUMS}}') -Encoding UTF8) { if (-not $line) { continue }; $hash, $name = $line -split '  ', 2; $path = Join-Path $env:XLKIT_BUNDLE $name; if (-not (Test-Path -LiteralPath $path)) { Write-Output ('  MISSING  ' + $name); $bad++; continue }; if ((Get-FileHash -Algorithm SHA256 -LiteralPath $path).Hash -ne $hash) { Write-Output ('  NG       ' + $name); $bad++ } }; exit (3 * [int]($bad -gt 0))"
rem 3 is a mismatch; anything else not 0 is PowerShell missing, blocked by policy, or failing
if errorlevel 4 goto :no_powershell
if errorlevel 3 goto :bad
if errorlevel 1 goto :no_powershell
echo すべてのファイルが一致しました。セットアップ.bat を実行できます。
goto :end

:bad
echo.
echo 一致しないファイル（NG）か、無いファイル（MISSING）があります。
echo 無害化の途中で変わったか、欠けたと考えられます。セットアップ.bat は実行せず、バンドルを受け取り直してください。
goto :end

:no_powershell
echo.
echo エラー: PowerShell で確かめられませんでした（この PC で使えないか、止められています）。
echo ファイルが壊れているとは限りません。はじめにお読みください.txt の certutil の手順で、1つずつ確かめてください。
goto :end

:no_sums
echo エラー: 「{{SUMS}}」がありません。バンドルのフォルダを丸ごと受け取り直してください。

:end
if /i not "%~1"=="/nopause" pause
