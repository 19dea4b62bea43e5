@echo off
rem Removes xlkit from this user's profile ({{HOME}}). Registers, reports and exports are never touched.
setlocal EnableExtensions DisableDelayedExpansion
rem without LOCALAPPDATA the folder below would be \xlkit at the root of the drive: stop instead
if not defined LOCALAPPDATA goto :no_localappdata
set "XLKIT_HOME={{HOME}}"
echo.
echo xlkit を、この PC のあなたのユーザーから取り除きます。
echo 消すフォルダ: "%XLKIT_HOME%"
echo 登録簿（.xlsm・.xlsx）、報告書、exports フォルダは消しません。
echo.
if not exist "%XLKIT_HOME%\" goto :nothing
choice /c YN /m "取り除いてよければ Y、やめるときは N を押してください"
rem only Y (1) removes: N is 2, Ctrl+C answered "continue" is 0, a failed choice is 255
if errorlevel 2 goto :cancelled
if not errorlevel 1 goto :cancelled
rmdir /s /q "%XLKIT_HOME%"
if exist "%XLKIT_HOME%\" goto :busy
echo 取り除きました。登録簿のボタンは、もう一度セットアップ.bat を実行するまで動きません。
goto :end

:nothing
echo xlkit は入っていません（"%XLKIT_HOME%" がありません）。何もしませんでした。
goto :end

:cancelled
echo やめました。何も消していません。
goto :end

:busy
echo エラー: "%XLKIT_HOME%" の一部を消せませんでした。
echo 登録簿を開いている Excel と、xlkit を使っているコマンドプロンプトを閉じてから、もう一度実行してください。
goto :end

:no_localappdata
echo エラー: 環境変数 LOCALAPPDATA がありません。ふだん使うユーザーでサインインして実行してください。
goto :end

:end
if /i not "%~1"=="/nopause" pause
