import Bolt
