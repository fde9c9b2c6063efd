// Drives headless Chromium (Debian's chromium + chromium-driver, through ChromeDriver/WebDriver)
// through Tessera's built-in consent page (`tessera serve --dev-consent`): open the interaction
// URL, click "Approve", and report the URL the browser lands on (the client's finish URL).
//
// Run by crates/tessera-cli/tests/browser_consent.rs. Environment:
//   INTERACT_URL   the grant's interact.redirect
//   EXPECT_CLIENT  text the consent page must show (the client's name)
//   CHROMIUM, CHROMEDRIVER   binaries (default /usr/bin/chromium, /usr/bin/chromedriver)
// Prints one line: `landed <url>`, or `FAIL ...` and exits 1.

import { Builder, By, until } from 'selenium-webdriver'
import chrome from 'selenium-webdriver/chrome.js'

const interactUrl = process.env.INTERACT_URL
const expectClient = process.env.EXPECT_CLIENT ?? ''
const options = new chrome.Options()
  .setChromeBinaryPath(process.env.CHROMIUM ?? '/usr/bin/chromium')
  .addArguments('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage')
const service = new chrome.ServiceBuilder(process.env.CHROMEDRIVER ?? '/usr/bin/chromedriver')

let driver
try {
  driver = await new Builder().forBrowser('chrome').setChromeOptions(options).setChromeService(service).build()
  await driver.get(interactUrl)
  const client = await driver.wait(until.elementLocated(By.id('client')), 10000)
  const shown = await client.getText()
  if (!shown.includes(expectClient)) throw new Error(`consent page shows ${shown}, expected ${expectClient}`)
  await driver.findElement(By.id('accept')).click()
  await driver.wait(async () => !(await driver.getCurrentUrl()).includes('/dev-consent'), 10000)
  await driver.wait(until.elementLocated(By.id('finished')), 10000)
  console.log(`landed ${await driver.getCurrentUrl()}`)
} catch (err) {
  console.log(`FAIL ${err?.stack ?? err}`)
  process.exitCode = 1
} finally {
  await driver?.quit()
}
